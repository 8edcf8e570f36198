"""Documents on a case: staff attach a photo or PDF (type read from its bytes, size limited), only those who may see
the case download it, always as an attachment, audited; a file the family sent by WhatsApp is listed there too."""
from __future__ import annotations

import io
import re
import uuid

from sqlalchemy import select

from casecore.audit import AuditEvent
from tests.web.conftest import csrf_from
from tests.web.test_case_page import client_for, world  # noqa: F401 - the fixture

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def upload(client, case_id, data, name="photo.png", **fields):
    token = csrf_from(client.get(f"/cases/{case_id}").get_data(as_text=True))
    body = {"csrf_token": token, "kind": "photo", "title": "Photo de l'enfant", "form_key": str(uuid.uuid4()),
            "file": (io.BytesIO(data), name), **fields}
    return client.post(f"/cases/{case_id}/documents", data=body, content_type="multipart/form-data")


def test_a_photo_is_attached_and_downloaded_by_those_who_may_see_the_case(app, uow, world):  # noqa: F811
    worker = client_for(app, world["worker"][0])
    saved = upload(worker, world["case_id"], PNG)
    assert saved.status_code == 302 and saved.headers["Location"].endswith("#documents")
    html = worker.get(f"/cases/{world['case_id']}").get_data(as_text=True)
    link = re.search(r'href="(/cases/[^"]+/files/staff/[0-9a-f-]+)"', html).group(1)
    got = worker.get(link)
    assert got.status_code == 200 and got.data == PNG and got.mimetype == "image/png"
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert client_for(app, world["other_worker"][0]).get(link).status_code == 404
    assert client_for(app, world["admin"][0]).get(link).status_code == 403
    with uow() as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("case.document_%"))).all()
    assert sorted(actions) == ["case.document_added", "case.document_downloaded"]


def test_a_file_that_is_not_what_it_claims_or_too_big_is_refused(app, world):  # noqa: F811
    worker = client_for(app, world["worker"][0])
    html_file = upload(worker, world["case_id"], b"<html><script>alert(1)</script></html>", name="photo.png")
    assert html_file.status_code == 400 and "pas accepté" in html_file.get_data(as_text=True)
    big = upload(worker, world["case_id"], PNG + b"\x00" * (app.extensions["relais"].settings.MEDIA_MAX_BYTES))
    assert big.status_code == 400 and "trop gros" in big.get_data(as_text=True)
    untitled = upload(worker, world["case_id"], PNG, title="")
    assert untitled.status_code == 400
