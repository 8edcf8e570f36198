"""Gzip for phones on 2G: the web view's pages, JSON and CSV are gzipped for a browser that takes it; the provider
webhooks, stored files and small answers never are."""
from __future__ import annotations

import gzip

import pytest

from app.web import compression
from tests.factories import make_receiving_service, make_report

# As a browser of today asks for a page of the site from another of its pages.
GZIP = {"Accept-Encoding": "gzip, deflate, br", "Sec-Fetch-Site": "same-origin"}
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def queue(client, staff, login, uow):
    """A supervisor with 200 new reports in the triage queue."""
    with uow() as session:
        for _ in range(200):
            make_report(session, organisation_slug=staff["org_slug"])
    login(staff["supervisor"])
    return client


def test_the_queue_is_gzipped_for_a_browser_that_takes_it(queue):
    plain = queue.get("/triage")
    packed = queue.get("/triage", headers=GZIP)
    assert plain.status_code == packed.status_code == 200
    assert "Content-Encoding" not in plain.headers and packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in plain.headers["Vary"] and "Accept-Encoding" in packed.headers["Vary"]
    html = gzip.decompress(packed.data).decode()
    assert html.count('class="ref"') == plain.get_data(as_text=True).count('class="ref"') == 50
    assert int(packed.headers["Content-Length"]) == len(packed.data) < len(plain.data) / 5


@pytest.mark.parametrize("accept", ["identity", "gzip;q=0", "deflate"])
def test_a_browser_that_does_not_take_gzip_gets_the_page_as_is(queue, accept):
    response = queue.get("/triage", headers={"Accept-Encoding": accept})
    assert "Content-Encoding" not in response.headers and "</html>" in response.get_data(as_text=True)


@pytest.mark.parametrize("site", ["cross-site", "same-site", None])
def test_a_page_not_known_to_be_asked_for_by_the_site_itself_is_not_compressed(queue, site):
    # BREACH: another site could have the browser ask many times and read the compressed sizes; a browser that does
    # not say where a request comes from (older phones) may be doing so too.
    headers = {"Accept-Encoding": "gzip", **({"Sec-Fetch-Site": site} if site else {})}
    assert "Content-Encoding" not in queue.get("/triage", headers=headers).headers
    for own in ("same-origin", "none"):  # a link of the site, or an address typed or bookmarked
        assert queue.get("/triage", headers={**GZIP, "Sec-Fetch-Site": own}).headers["Content-Encoding"] == "gzip"


def test_a_csv_download_is_gzipped_too(queue):
    response = queue.get("/indicators.csv", headers=GZIP)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.data).decode().startswith("indicator,")


def test_a_small_answer_is_sent_as_is(client, monkeypatch):
    monkeypatch.setattr(compression, "MIN_BYTES", 10**6)
    assert "Content-Encoding" not in client.get("/login", headers=GZIP).headers


@pytest.fixture
def anything_worth_compressing(monkeypatch):
    """No size too small: only the webhook rule can keep an answer uncompressed."""
    monkeypatch.setattr(compression, "MIN_BYTES", 1)


def test_a_ussd_answer_is_never_gzipped(client, uow, anything_worth_compressing):
    with uow() as session:
        make_receiving_service(session)
    body = ("sessionId=ATUid_gzip1&serviceCode=%2A384%2A1234%23&phoneNumber=%2B22376701430&networkCode=99999"
            "&text=")
    response = client.post("/webhooks/africastalking/ussd", data=body, content_type=FORM, headers=GZIP)
    assert response.status_code == 200 and response.get_data(as_text=True).startswith("CON ")
    assert "Content-Encoding" not in response.headers and "Vary" not in response.headers


@pytest.mark.parametrize("path", ["/webhooks/africastalking/sms", "/webhooks/nowhere"])
def test_no_webhook_answer_is_gzipped(client, anything_worth_compressing, path):
    response = client.post(path, data="from=%2B22376701430&text=MENU", content_type=FORM, headers=GZIP)
    assert "Content-Encoding" not in response.headers

