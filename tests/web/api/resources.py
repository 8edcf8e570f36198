"""What the generic API tests read: an organisation's reports and a case, and a valid request for any declared
endpoint (its path's reference one that exists, its body the documented example)."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

from app.api.spec import Endpoint, Param
from app.web.paths import API_URL_PREFIX
from casecore.demo import demo_locations_csv
from casecore.people.locations import import_locations
from tests.factories import make_case, make_report

# Personal data of the seeded reports: a token without personal_data must never get them back.
PHONE = "+22376000123"
WORDS = "Il a peur de rentrer le soir."


@dataclass(frozen=True)
class Holdings:
    """One organisation's references, by the collection of the API that serves them (/reports, /cases)."""

    references: dict[str, str]

    def all(self) -> set[str]:
        return set(self.references.values())


def load_places(session) -> None:
    """The demo's places: the documented examples name them (ML0101), as they would after `flask demo`."""
    import_locations(session, io.StringIO(demo_locations_csv()))


def hold(session, slug: str) -> Holdings:
    """For organisation slug: a report with a number and words, an urgent one, and one opened into a case."""
    report = make_report(session, organisation_slug=slug, description=WORDS, reporter_phone=PHONE)
    make_report(session, organisation_slug=slug, danger_now=True)
    case = make_case(session, organisation_slug=slug)
    return Holdings({"reports": report.reference, "cases": case.reference})


def collection(path: str) -> str:
    """The collection an API path is in: /cases/{reference} -> cases."""
    return path.strip("/").split("/")[0]


def url_for(endpoint: Endpoint, holdings: Holdings) -> str:
    """The endpoint's URL, naming the organisation's resource of its collection; fails for a path parameter this
    module cannot fill yet (add the resource to hold())."""
    def value(match: re.Match) -> str:
        name = match.group(1)
        assert name == "reference" and collection(endpoint.path) in holdings.references, \
            f"{endpoint.path}: tests/web/api/resources.py has no {name} to put in it"
        return holdings.references[collection(endpoint.path)]
    return API_URL_PREFIX + re.sub(r"\{([a-z_]+)\}", value, endpoint.path)


# A value for a required parameter of these formats, when its schema gives no example nor default.
_BY_FORMAT = {"date": "2026-11-01", "date-time": "2026-11-01T00:00:00Z"}


def request_for(endpoint: Endpoint, holdings: Holdings) -> dict[str, Any]:
    """Arguments of a test client's open() for a valid call of endpoint: its required query parameters given."""
    arguments: dict[str, Any] = {"path": url_for(endpoint, holdings), "method": endpoint.method}
    required = {param.name: _sample(endpoint, param) for param in endpoint.query if param.required}
    if required:
        arguments["query_string"] = required
    if endpoint.body is not None:
        arguments["json"] = endpoint.body_example
    return arguments


def _sample(endpoint: Endpoint, param: Param) -> str:
    schema = param.schema.get("items", param.schema) if param.comma_list else param.schema
    for value in (schema.get("example"), *schema.get("examples", ()), schema.get("default"),
                  *schema.get("enum", ())[:1], _BY_FORMAT.get(schema.get("format", ""))):
        if value is not None:
            return str(value)
    raise AssertionError(f"{endpoint.path}: give the required parameter {param.name} an example in its schema")


def success(endpoint: Endpoint) -> int:
    """The status a valid call answers with (201 for a post, 200 for a read)."""
    return min(status for status in endpoint.responses if 200 <= status < 300)
