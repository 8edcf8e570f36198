"""The case page's registration section: the child's names hidden until asked for (and the asking audited), the form
saving every field of form 1.A, refusals shown beside the form with what was typed, and access as for the case."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from casecore.audit import AuditEvent
from casecore.cases.record_models import CaseCaregiver, ChildRegistration
from tests.web.test_case_page import client_for, post, world  # noqa: F401 - the fixture

FORM = {
    "name_first": "Awa", "name_last": "Traoré", "name_nickname": "Petite", "sex": "female",
    "date_of_birth": "2014-03-02", "languages": ["bm", "fr"], "wg_seeing": "no_difficulty",
    "wg_walking": "a_lot_of_difficulty", "documents": ["birth_certificate"], "location_current": "ML090101",
    "address_current": "Près du marché", "protection_status": "separated",
    "protection_concerns": ["separated", "child_marriage"],
    "relation_0": "aunt", "relation_name_0": "Fanta Traoré", "relation_is_caregiver_0": "yes",
    "lives_with_child_0": "yes", "relation_1": "", "relation_name_1": "",
}


def _audited(uow, user_id, action):
    with uow() as session:
        return session.scalars(select(AuditEvent.object_id).where(AuditEvent.user_id == user_id,
                                                                  AuditEvent.action == action)).all()


def test_a_case_worker_records_the_registration_and_the_names_stay_hidden_until_asked(app, uow, world):  # noqa: F811
    client = client_for(app, world["worker"][0])
    path = f"/cases/{world['case_id']}"
    saved = post(client, f"{path}/registration", **FORM)
    assert saved.status_code == 302 and saved.headers["Location"].endswith("#registration")
    with uow() as session:
        row = session.scalar(select(ChildRegistration).where(ChildRegistration.case_id == world["case_id"]))
        assert (row.name_first, row.name_last, row.sex, str(row.date_of_birth)) == ("Awa", "Traoré", "female",
                                                                                   "2014-03-02")
        # The concern reported (child marriage) first, then the others ticked.
        assert row.protection_concerns == ["child_marriage", "separated"]
        assert row.languages == ["bm", "fr"] and row.wg_walking == "a_lot_of_difficulty" and row.wg_hearing is None
        [aunt] = session.scalars(select(CaseCaregiver).where(CaseCaregiver.case_id == world["case_id"])).all()
        assert (aunt.relation, aunt.relation_name, aunt.relation_is_caregiver, aunt.lives_with_child) == (
            "aunt", "Fanta Traoré", True, True)
    hidden = client.get(path).get_data(as_text=True)
    assert "Awa" not in hidden and "Fanta" not in hidden and "Masqué" in hidden
    assert "Difficulté fonctionnelle" in hidden and "Tante" in hidden and "Commune I" in hidden
    assert _audited(uow, world["worker"][1], "case.names_shown") == []
    shown = client.get(f"{path}?show=names").get_data(as_text=True)
    assert "Awa Traoré (Petite)" in shown and 'value="Fanta Traoré"' in shown
    assert _audited(uow, world["worker"][1], "case.names_shown") == [str(world["case_id"])]
    assert _audited(uow, world["worker"][1], "registration.updated") == [str(world["case_id"])]
    # The form carries each relative's row: a corrected name keeps the aunt's row (and her row in CPIMS+).
    assert f'name="caregiver_0" value="{aunt.id}"' in shown
    post(client, f"{path}/registration", **{**FORM, "caregiver_0": str(aunt.id), "relation_name_0": "Fanta Traore"})
    with uow() as session:
        [kept] = session.scalars(select(CaseCaregiver).where(CaseCaregiver.case_id == world["case_id"])).all()
        assert (kept.id, kept.relation_name) == (aunt.id, "Fanta Traore")


def test_a_refused_registration_comes_back_with_the_reason_and_what_was_typed(app, uow, world):  # noqa: F811
    client = client_for(app, world["worker"][0])
    refused = post(client, f"/cases/{world['case_id']}/registration", **{**FORM, "date_of_birth": "2099-01-01"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "La date de naissance ne peut pas être dans le futur." in html
    assert 'value="Awa"' in html and 'value="2099-01-01"' in html
    for bad, says in ((dict(date_of_birth="", age="30"), "de 0 à 24 ans"), (dict(date_of_birth="2014-13-40"),
                      "JJ/MM/AAAA"), (dict(documents=["none", "passport"]), "Aucun document"),
                      (dict(relation_0="cousin"), "lien de chaque parent"), (dict(location_current="XX"), "lieu")):
        answer = post(client, f"/cases/{world['case_id']}/registration", **{**FORM, **bad})
        assert answer.status_code == 400 and says in answer.get_data(as_text=True), bad
    with uow() as session:
        assert session.scalar(select(ChildRegistration)) is None


def test_only_those_who_may_see_the_case_see_or_record_its_registration(app, world):  # noqa: F811
    outsider = client_for(app, world["other_worker"][0])
    assert outsider.get(f"/cases/{world['case_id']}?show=names").status_code == 404
    lead = client_for(app, world["lead"][0])
    assert post(lead, f"/cases/{world['case_id']}/registration", **FORM).status_code == 302
    admin = client_for(app, world["admin"][0])
    assert admin.get(f"/cases/{world['case_id']}?show=names").status_code == 403


def test_once_the_age_is_recorded_consent_follows_the_age_bands(app, uow, world):  # noqa: F811
    from casecore.cases.models import CaseConsent
    client = client_for(app, world["worker"][0])
    path = f"/cases/{world['case_id']}"
    post(client, f"{path}/registration", **{**FORM, "date_of_birth": "", "age": "9"})
    assert "l&#39;assentiment de l&#39;enfant est enregistré" in client.get(path).get_data(as_text=True)
    refused = post(client, f"{path}/consents", purpose="services", given="yes", given_by="caregiver",
                   form_key=str(uuid.uuid4()))
    assert refused.status_code == 400 and "Enregistrez l&#39;assentiment" in refused.get_data(as_text=True)
    assert post(client, f"{path}/consents", purpose="services", given="yes", given_by="caregiver",
                child_assent="given", form_key=str(uuid.uuid4())).status_code == 302
    with uow() as session:
        assert [c.child_assent for c in session.query(CaseConsent).all()] == ["given"]
    assert "Assentiment de l&#39;enfant : Donné" in client.get(path).get_data(as_text=True)


def test_tracing_from_the_case_page(app, uow, world):  # noqa: F811
    import re

    from tests.factories import make_report
    client = client_for(app, world["worker"][0])
    path = f"/cases/{world['case_id']}"
    post(client, f"{path}/registration", **FORM)  # a separated girl, Awa, born 2014
    with uow() as session:
        from casecore.cases.models import Case
        from casecore.people.models import Organisation
        slug = session.get(Organisation, session.get(Case, world["case_id"]).organisation_id).slug
        make_report(session, organisation_slug=slug, kind="tracing", child_sex="female", child_age_band="12_17",
                    description="Je cherche ma nièce Awa")
    assert post(client, f"{path}/tracing/matches").status_code == 302
    html = client.get(path).get_data(as_text=True)
    assert "Recherche familiale et réunification" in html and "un nom figure dans la demande" in html
    match_id = re.search(r"/tracing/matches/([0-9a-f-]+)/decision", html).group(1)
    assert post(client, f"{path}/tracing/matches/{match_id}/decision", decision="confirm").status_code == 302
    early = post(client, f"{path}/tracing/matches/{match_id}/reunification", reunified_on="2026-12-01")
    assert early.status_code == 400 and "Vérifiez le lien familial" in early.get_data(as_text=True)


def test_the_case_page_opens_with_its_sections_the_current_steps_first(app, world):  # noqa: F811
    import re
    html = client_for(app, world["worker"][0]).get(f"/cases/{world['case_id']}").get_data(as_text=True)
    nav = re.search(r'<nav class="sections".*?</nav>', html, re.S).group(0)
    targets = re.findall(r'href="#([^"]+)"', nav)
    assert targets[:2] == ["registration", "consent"]  # the case is at registration
    assert set(targets) <= set(re.findall(r'id="([^"]+)"', html)) and "tracing" not in targets


def test_the_case_list_shows_the_childs_sex_and_age_never_a_name(app, world):  # noqa: F811
    import re
    client = client_for(app, world["worker"][0])
    listed = client.get("/cases").get_data(as_text=True)
    row = re.search(rf'{world["reference"]}</a></td>\s*<td[^>]*>([^<]+)</td>', listed)
    assert row.group(1) == "Fille, 6 à 11 ans"  # the report's, until the registration says more
    post(client, f"/cases/{world['case_id']}/registration", **{**FORM, "date_of_birth": "", "age": "9"})
    html = client.get("/cases").get_data(as_text=True)
    row = re.search(rf'{world["reference"]}</a></td>\s*<td[^>]*>([^<]+)</td>', html)
    assert row.group(1) == "Fille, 9 ans" and "Awa" not in html
