"""/api/v1/docs tells a partner of the outbound events beside the endpoints: every kind with the scopes it needs,
the headers, how to check the signature (a worked example the signing code computed, which a receiver can test its
check against), and at-least-once delivery with the id to dedupe by."""
from __future__ import annotations

import html
import re

import pytest

from app.api.event_docs import TELLS
from casecore.changes import KINDS
from casecore.partners.signing import DELIVERY_HEADER, HEADER, verify
from casecore.partners.subscriptions import KIND_SCOPES


@pytest.fixture
def page(client) -> str:
    answer = client.get("/api/v1/docs")
    assert answer.status_code == 200 and answer.content_type.startswith("text/html")
    return answer.get_data(as_text=True)


def _events_section(page: str) -> str:
    return page[page.index('<h2 id="events">'):page.index("<h2>Schemas</h2>")]


def _row(section: str, kind: str) -> str:
    start = section.index(f'<tr id="event-{kind}">')
    return section[start:section.index("</tr>", start)]


def test_every_kind_has_its_words_on_the_page():
    assert set(TELLS) == set(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_each_event_kind_is_listed_with_the_scopes_it_needs(page, kind):
    row = _row(_events_section(page), kind)
    assert f"<code>{kind}</code>" in row
    assert "<code>events</code>" in row and f"<code>{KIND_SCOPES[kind]}</code>" in row


def test_the_headers_at_least_once_delivery_and_the_id_to_dedupe_by_are_told(page):
    section = _events_section(page)
    assert f"<code>{HEADER}: t=" in section and f"<code>{DELIVERY_HEADER}</code>" in section
    assert "at least once" in section and "dedupe by it" in section
    assert "HMAC-SHA256" in section


def test_the_worked_signature_is_the_one_the_signing_code_makes(page):
    section = _events_section(page)
    body = html.unescape(re.search(r"the body</p>\s*<pre>(.*?)</pre>", section, re.S).group(1))
    secret = re.search(r"the\s+secret <code>(whsec_\w+)</code>", section).group(1)
    header = re.search(rf"is signed <code>{HEADER}: (t=(\d+),v1=[0-9a-f]{{64}})</code>", section)
    assert verify(secret, body.encode("utf-8"), header.group(1), now=int(header.group(2)))
    assert not verify(secret, body.replace("status", "risk_level").encode("utf-8"), header.group(1),
                      now=int(header.group(2)))


def test_personal_fields_are_named_as_the_masking_leaves_them_out(page):
    section = _events_section(page)
    assert "<code>reporter_phone</code>, <code>description</code> only with" in _row(section, "report.created")
    assert "<code>contact_phone</code>, <code>description</code> only with" in _row(section, "complaint.created")
    assert "only with" not in _row(section, "case.opened")
