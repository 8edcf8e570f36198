"""A fake DHIS2 Web API on 127.0.0.1 for aggregate data: POST /api/dataValueSets, as DHIS2 2.38+ answers it.

HTTP Basic of a known user, else 401; JSON only; each data value needs a known dataElement and orgUnit, a period
of DHIS2's form (202611, 2026Q4), a categoryOptionCombo the data element has (or none: the default), and a value;
else it is ignored with a conflict naming it. A value for a key already stored is "updated". The answer is the
WebMessage whose `response` is the ImportSummary (status SUCCESS, or WARNING with conflicts; HTTP 409 then).
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.server import FakeHandler, FakeProvider, ScriptedAnswer

USERNAME, PASSWORD = "admin", "district"
_PERIOD = re.compile(r"\A\d{4}(0[1-9]|1[0-2]|Q[1-4])\Z")


@dataclass(frozen=True)
class Answer(ScriptedAnswer):
    """Scripted: a delay or a raw body instead of DHIS2's answer."""

    delay: float = 0.0
    raw_body: str | None = None
    http_status: int = 0


@dataclass
class Metadata:
    """The instance's data elements (with their category option combos) and org units."""

    data_elements: dict[str, set[str]] = field(default_factory=dict)
    org_units: set[str] = field(default_factory=set)


class _Handler(FakeHandler):
    fake: FakeDhis2

    def received(self, raw: str) -> None:
        answer = self.fake._take_answer()
        status, body = self._import(raw)
        if answer.http_status:
            status, body = answer.http_status, answer.raw_body or ""
        elif answer.raw_body is not None:
            body = answer.raw_body
        self.fake._record({"path": self.path, "user": self._user(), "content_type": self.headers.get(
            "Content-Type", ""), "body": raw, "http_status": status})
        self._reply(answer, status, body, "application/json")

    def _import(self, raw: str) -> tuple[int, str]:
        if self.path.split("?")[0] != "/api/dataValueSets":
            return 404, json.dumps({"httpStatus": "Not Found", "httpStatusCode": 404, "status": "ERROR"})
        if self._user() is None:
            return 401, json.dumps({"httpStatus": "Unauthorized", "httpStatusCode": 401, "status": "ERROR",
                                    "message": "Unauthorized"})
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            return 415, json.dumps({"httpStatus": "Unsupported Media Type", "httpStatusCode": 415})
        try:
            values = json.loads(raw).get("dataValues") or []
        except (ValueError, AttributeError):
            return 400, json.dumps({"httpStatus": "Bad Request", "httpStatusCode": 400, "status": "ERROR"})
        counts = {"imported": 0, "updated": 0, "ignored": 0, "deleted": 0}
        conflicts = []
        meta = self.fake.metadata
        for row in values:
            element, unit, period = row.get("dataElement"), row.get("orgUnit"), str(row.get("period", ""))
            combo = row.get("categoryOptionCombo")
            problem = None
            if element not in meta.data_elements:
                problem = (element, "Data element not found or not accessible", "E7610")
            elif unit not in meta.org_units:
                problem = (unit, "Organisation unit not found or not accessible", "E7612")
            elif not _PERIOD.match(period):
                problem = (period, "Period not valid", "E7611")
            elif combo is not None and combo not in meta.data_elements[element]:
                problem = (combo, "Category option combo not found or not accessible", "E7613")
            elif str(row.get("value", "")) == "":
                problem = (element, "Data value is empty", "E7630")
            if problem:
                counts["ignored"] += 1
                conflicts.append({"object": problem[0], "value": problem[1], "errorCode": problem[2]})
                continue
            key = (element, period, unit, combo)
            counts["updated" if key in self.fake.stored else "imported"] += 1
            self.fake.stored[key] = str(row["value"])
        status = "WARNING" if conflicts else "SUCCESS"
        return (409 if conflicts else 200), json.dumps({
            "httpStatus": "Conflict" if conflicts else "OK", "httpStatusCode": 409 if conflicts else 200,
            "status": "WARNING" if conflicts else "OK", "message": "One more conflicts encountered, please check "
            "import summary." if conflicts else "Import was successful.",
            "response": {"responseType": "ImportSummary", "status": status, "importCount": counts,
                         "conflicts": conflicts, "dataSetComplete": "false"}})

    def _user(self) -> str | None:
        header = self.headers.get("Authorization", "")
        try:
            name, _, password = base64.b64decode(header.removeprefix("Basic ")).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return name if header.startswith("Basic ") and (name, password) == (USERNAME, PASSWORD) else None


class FakeDhis2(FakeProvider):
    """DHIS2's dataValueSets import; the stored values by (dataElement, period, orgUnit, categoryOptionCombo)."""

    answer_class = Answer
    handler_class = _Handler
    name, short_name = "DHIS2", "DHIS2"

    def __init__(self, metadata: Metadata | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.metadata = metadata or Metadata()
        self.stored: dict[tuple, str] = {}
