"""The community services a conversation gets: built once per USSD code, built again when reference data reloads."""
from __future__ import annotations

from bootstrap import MAX_USSD_CODES_KEPT, bootstrap
from tests.conftest import make_settings
from tests.factories import make_locations, make_organisation


def test_services_are_reused_per_code_and_follow_a_reload_of_the_places(sqlite_url, redis_url):
    rt = bootstrap(make_settings(DATABASE_URL=sqlite_url, REDIS_URL=redis_url, PLACES_CACHE_SECONDS=0))
    try:
        with rt.unit_of_work() as session:
            make_organisation(session)
            make_locations(session)
        first = rt.community_services("*384*1234#")
        assert first.ussd_code == "*384*1234#" and rt.community_services("").ussd_code == ""
        # Every read reloads the places here (no cache time): a new directory, so services built anew with it.
        again = rt.community_services("*384*1234#")
        assert again is not first and again.places is not first.places
    finally:
        rt.close()


def test_services_are_shared_between_steps_while_the_reference_data_stays(runtime):
    with runtime.unit_of_work() as session:
        make_organisation(session)
    first = runtime.community_services("*384*1234#")
    assert runtime.community_services("*384*1234#") is first
    assert runtime.community_services("*384*99#") is not first


def test_a_flood_of_codes_from_the_telco_field_is_answered_but_not_kept(runtime):
    with runtime.unit_of_work() as session:
        make_organisation(session)
    codes = [f"*384*{n}#" for n in range(MAX_USSD_CODES_KEPT * 4)]
    assert [runtime.community_services(code).ussd_code for code in codes] == codes
    assert len(runtime._community_services) == MAX_USSD_CODES_KEPT
