"""The pages a director works in: the period defaults (the latest data, not today), the
navigation bar, the PHI pickers, and the check-in list's names, filters, order, position
and CSV export (with spreadsheet-formula escaping)."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from serving.pages.checkin_csv import spreadsheet_safe
from serving.pages.checkin_filters import CheckinFilters, Names
from serving.pages.checkin_pages import checkins_page
from serving.pages.phi_pickers import months_between
from serving.schemas import CheckinPublic, CheckinsPublic
from tests.api_harness import Api, shelf_photo
from tests.builders import make_checkin, with_verdict
from tests.pages_harness import refused_page, sign_in
from tests.serving.test_reports import seed_reports, visit
from visitproof.reasons import ReasonCode
from visitproof.records import CheckinStatus, Commitment, NextAction
from visitproof.store import PhotoStore, Store
from visitproof.verdicts import checkin_verdict

HTML = "text/html; charset=utf-8"
REJECTED, VERIFIED = CheckinStatus.REJECTED, CheckinStatus.VERIFIED
TENANT_ZONE = "Asia/Shanghai"
NAV_LINKS = ("/manager/checkins", "/manager/reviews", "/manager/phi", "/manager/overlap")


@pytest.fixture
def seeded(api: Api) -> Api:
    seed_reports(api.database)  # t1: 11 check-ins of r1 and r2, 3-10 November 2026
    return api


def _ids(text: str) -> list[str]:
    return re.findall(r"data-checkin-id='([0-9a-f-]+)'", text)


def _submitted(text: str) -> list[str]:
    return re.findall(r"<a href='/manager/checkins/[0-9a-f-]+'>([^<]+)</a>", text)


# -- defaults: the latest period with data ----------------------------------------------------

def test_phi_opens_on_the_month_of_the_latest_checkin(seeded: Api) -> None:
    sign_in(seeded, "manager")
    text = seeded.client.get("/manager/phi").text
    assert "Process Health Index — 2026-11 (team t1)" in text
    assert "<option value='2026-11' selected>2026-11</option>" in text


def test_phi_without_checkins_opens_on_this_month(api: Api) -> None:
    sign_in(api, "manager")
    assert api.client.get("/manager/phi").status_code == 200


def test_overlap_opens_on_the_28_days_ending_at_the_latest_checkin(seeded: Api) -> None:
    sign_in(seeded, "manager")
    text = seeded.client.get("/manager/overlap", params={"tiles": "none"}).text
    data = json.loads(text.split('id="vp-data">')[1].split("</script>")[0])
    # The latest departure: 10 November 05:40 UTC, 13:40 in Shanghai.
    assert data["periods"][0]["label"] == "2026-10-14..2026-11-10"


# -- navigation and pickers -------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/manager/checkins", "/manager/reviews", "/manager/phi",
                                  "/manager/overlap?tiles=none"])
def test_every_manager_page_has_the_navigation(seeded: Api, path: str) -> None:
    sign_in(seeded, "director")
    text = seeded.client.get(path).text
    nav = text.split("<nav id='vp-nav'")[1].split("</nav>")[0]
    for link in NAV_LINKS:
        assert f"href='{link}'" in nav
    current = re.findall(r"href='([^']+)' style='[^']*' aria-current=page>", nav)
    assert current == [path.split("?")[0]]


def test_director_picks_a_team_and_a_manager_sees_their_own(seeded: Api) -> None:
    sign_in(seeded, "director")
    text = seeded.client.get("/manager/phi", params={"team": "t2"}).text
    form = text.split("<form id='vp-phi-pickers'")[1].split("</form>")[0]
    assert "name='team'" in form
    assert "<option value='t2' selected>" in form
    assert "<option value='t1'>" in form
    assert "(team t2)" in text
    sign_in(seeded, "manager")
    form = seeded.client.get("/manager/phi").text.split("<form id='vp-phi-pickers'")[1]
    assert "name='team'" not in form.split("</form>")[0]
    assert "team <code>t1</code>" in form


def test_months_between_lists_newest_first_and_stops() -> None:
    assert months_between(date(2025, 11, 30), date(2026, 2, 1)) == [
        "2026-02", "2026-01", "2025-12", "2025-11"]
    assert len(months_between(date(1970, 1, 1), date(2026, 11, 10))) == 36


# -- the check-in list ------------------------------------------------------------------------

def test_the_list_names_reps_and_customers(seeded: Api) -> None:
    sign_in(seeded, "manager")
    text = seeded.client.get("/manager/checkins", params={"rep_id": "r2"}).text
    assert "Rep r2 <code>r2</code>" in text
    assert "Customer c3 <code>c3</code>" in text
    assert "<option value='r1'>Rep r1 (r1)</option>" in text
    assert "value='r3'" not in text  # another team's rep is not offered


def test_the_drilldown_names_rep_and_customer(seeded: Api) -> None:
    sign_in(seeded, "manager")
    first = _ids(seeded.client.get("/manager/checkins", params={"rep_id": "r1"}).text)[0]
    text = seeded.client.get(f"/manager/checkins/{first}").text
    assert "by Rep r1 (r1)" in text
    assert "<td>Rep r1 <code>r1</code> · <a id='vp-rep-day'" in text


def test_local_day_filter_and_the_position(seeded: Api) -> None:
    sign_in(seeded, "manager")
    text = seeded.client.get("/manager/checkins", params={
        "from": "2026-11-10", "to": "2026-11-10"}).text
    assert len(_ids(text)) == 3
    assert "1–3 of 3, newest submission first" in text
    assert "value='2026-11-10'" in text
    paged = seeded.client.get("/manager/checkins", params={"limit": 5, "offset": 5}).text
    assert "6–10 of 11" in paged
    assert "offset=0'>← newer" in paged
    assert "offset=10'>older →" in paged


def test_sort_oldest_first(seeded: Api) -> None:
    sign_in(seeded, "manager")
    newest = _submitted(seeded.client.get("/manager/checkins").text)
    oldest = _submitted(seeded.client.get("/manager/checkins", params={"sort": "oldest"}).text)
    assert newest == sorted(newest, reverse=True)
    assert oldest == sorted(oldest)
    assert oldest[0] < newest[0]


@pytest.mark.parametrize(("params", "code"), [
    ({"from": "2026-02-30"}, "BAD_DATE"),
    ({"to": "yesterday"}, "BAD_DATE"),
    ({"from": "2026-11-10", "to": "2026-11-03"}, "TIME_ORDER"),
    ({"sort": "sideways"}, "UNKNOWN_ENUM_VALUE"),
])
def test_bad_filters_are_readable_422_pages(seeded: Api, params: dict[str, str],
                                            code: str) -> None:
    sign_in(seeded, "manager")
    refused_page(seeded.client.get("/manager/checkins", params=params), 422, code)
    refused_page(seeded.client.get("/manager/checkins.csv", params=params), 422, code)


# -- CSV export -------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "safe"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+1 555", "'+1 555"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tcmd", "'\tcmd"),
    ("\rcmd", "'\rcmd"),
    ("a trial = yes", "a trial = yes"),
    ("", ""),
    ("'quoted", "'quoted"),
    ("Café, 2 packs", "Café, 2 packs"),
])
def test_spreadsheet_safe(text: str, safe: str) -> None:
    assert spreadsheet_safe(text) == safe


def test_export_has_the_filters_names_and_local_times(seeded: Api) -> None:
    sign_in(seeded, "manager")
    response = seeded.client.get("/manager/checkins.csv", params={
        "from": "2026-11-10", "to": "2026-11-10", "sort": "oldest"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    # Oldest first: r1 and r2 at c1 at 01:40 UTC (either first), then r2 at c3 at 05:40.
    assert sorted(r["rep_id"] for r in rows[:2]) == ["r1", "r2"]
    assert [r["submitted_at"] for r in rows] == ["2026-11-10T09:40:00+08:00"] * 2 + [
        "2026-11-10T13:40:00+08:00"]
    assert (rows[2]["rep_name"], rows[2]["customer_name"]) == ("Rep r2", "Customer c3")
    page = seeded.client.get("/manager/checkins", params={"from": "2026-11-10",
                                                          "to": "2026-11-10"}).text
    assert "href='/manager/checkins.csv?from=2026-11-10&amp;to=2026-11-10'" in page


def test_export_escapes_reps_free_text(seeded: Api) -> None:
    hostile = replace(visit("r1", "c1", 11, 2),
                      commitment=Commitment(text="=HYPERLINK(\"http://evil\",\"ok\")"))
    hostile = replace(hostile, next_action=NextAction(
        text="@SUM(1+1)", due_at=hostile.next_action.due_at, kind=hostile.next_action.kind))
    with seeded.database.begin() as connection:
        Store(connection, hostile.tenant_id).checkins.add(hostile)
    sign_in(seeded, "manager")
    response = seeded.client.get("/manager/checkins.csv", params={"from": "2026-11-11"})
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 1
    assert rows[0]["commitment"] == "'=HYPERLINK(\"http://evil\",\"ok\")"
    assert rows[0]["next_action"] == "'@SUM(1+1)"


def test_export_is_scoped(seeded: Api) -> None:
    sign_in(seeded, "manager_t2")
    rows = list(csv.DictReader(io.StringIO(seeded.client.get("/manager/checkins.csv").text)))
    assert {r["rep_id"] for r in rows} == {"r3"}


# -- thumbnails, the reason filter, the Excel link ----------------------------------------------

def test_each_row_has_a_lazy_thumbnail_linking_to_the_drilldown(api: Api) -> None:
    digests = [PhotoStore(api.photos_dir).put(shelf_photo(seed)) for seed in (1, 2)]
    made = [make_checkin(rep="r2", photo=digest) for digest in digests]
    with api.database.begin() as connection:
        Store(connection, "acme").checkins.add_many(made)
    sign_in(api, "manager")
    text = api.client.get("/manager/checkins", params={"rep_id": "r2"}).text
    assert "<th>photo</th>" in text
    for checkin in made:
        row = text.split(f"<tr data-checkin-id='{checkin.id}'>")[1].split("</tr>")[0]
        assert (f"<a href='/manager/checkins/{checkin.id}'><img class='vp-thumb' "
                f"loading='lazy' width='80' height='60' src='/manager/checkins/{checkin.id}"
                f"/thumbnail?v={checkin.photo_sha256[:16]}'") in row
    assert "@media (max-width:640px)" in text  # the phone layout (checked in a browser in
    # tests/serving/test_gallery.py)


def test_the_excel_link_sits_beside_the_csv_one_with_the_same_query(seeded: Api) -> None:
    sign_in(seeded, "manager")
    text = seeded.client.get("/manager/checkins", params={"status": "rejected",
                                                          "sort": "oldest"}).text
    assert ("href='/manager/checkins.csv?status=rejected&amp;sort=oldest'>Download these 0 "
            "check-ins as CSV</a> · <a id='vp-export-xlsx' "
            "href='/manager/checkins.xlsx?status=rejected&amp;sort=oldest'>Excel</a>") in text


def _rendered(filters: CheckinFilters, **options: Any) -> tuple[str, CheckinPublic]:
    checkin = CheckinPublic.of(visit("r1", "c1", 3, 1, CheckinStatus.REJECTED))
    return checkins_page(CheckinsPublic(data=[checkin], count=120), timezone=TENANT_ZONE,
                         filters=filters, names=Names(), reps=[("r1", "Rep r1")], limit=1,
                         offset=0, **options), checkin


def test_the_reason_filter_is_offered_kept_in_links_and_selected() -> None:
    filters = CheckinFilters(reason=ReasonCode.GPS_OUTSIDE_GEOFENCE)
    text, _ = _rendered(filters, reason_filter=True)
    assert "<option value='GPS_OUTSIDE_GEOFENCE' selected>GPS_OUTSIDE_GEOFENCE</option>" in text
    assert "<option value='PHOTO_BLURRY'>" in text
    assert "href='/manager/checkins.csv?reason=GPS_OUTSIDE_GEOFENCE'" in text
    assert "href='/manager/checkins.xlsx?reason=GPS_OUTSIDE_GEOFENCE'" in text
    assert "reason=GPS_OUTSIDE_GEOFENCE&amp;limit=1&amp;offset=1'>older →" in text
    plain, _ = _rendered(CheckinFilters())
    assert "name='reason'" not in plain  # only where the route reads it


def test_a_row_without_its_photo_says_so() -> None:
    text, checkin = _rendered(CheckinFilters(), photos=set())
    assert f"<a href='/manager/checkins/{checkin.id}' class='muted vp-no-photo'>no photo</a>" \
        in text
    assert "/thumbnail" not in text
    with_photo, checkin = _rendered(CheckinFilters(), photos={"0" * 64})
    assert "no photo" in with_photo  # another digest is not this row's photo


def test_the_store_filters_on_the_verdicts_reasons(api: Api) -> None:
    """The reasons of each checker's latest verification, as the verdict lists them; a
    superseded one's don't count; the synthetic NOT_YET_JUDGED and UNSPECIFIED too."""
    made = {
        "outside": with_verdict(make_checkin(), REJECTED, "GPS_OUTSIDE_GEOFENCE"),
        "outside_then_fine": with_verdict(with_verdict(make_checkin(), REJECTED,
                                                       "GPS_OUTSIDE_GEOFENCE"), VERIFIED),
        "outside_then_shelf": with_verdict(with_verdict(make_checkin(), REJECTED,
                                                        "GPS_OUTSIDE_GEOFENCE"),
                                           REJECTED, "PHOTO_BLURRY", checker="shelf"),
        "unjudged": make_checkin(status=CheckinStatus.RECEIVED),
        "silent": with_verdict(make_checkin(), CheckinStatus.NEEDS_REVIEW),
        "other_rep": with_verdict(make_checkin(rep="r2"), REJECTED, "GPS_OUTSIDE_GEOFENCE"),
    }
    with api.database.begin() as connection:
        Store(connection, "acme").checkins.add_many(list(made.values()))
    names = {c.id: name for name, c in made.items()}
    with api.database.connect() as connection:
        checkins = Store(connection, "acme").checkins

        def found(code: str, **filters: Any) -> set[str]:
            page = checkins.page(reason_code=code, **filters)
            assert page.count == len(page.items)
            return {names[c.id] for c in page.items}

        assert found("GPS_OUTSIDE_GEOFENCE") == {"outside", "outside_then_shelf", "other_rep"}
        assert found("GPS_OUTSIDE_GEOFENCE", rep_ids=["r1"]) == {"outside",
                                                                 "outside_then_shelf"}
        assert found("PHOTO_BLURRY") == {"outside_then_shelf"}
        assert found("NOT_YET_JUDGED") == {"unjudged"}
        assert found("UNSPECIFIED") == {"silent"}
        assert found("PHOTO_REUSED") == set()
        for checkin in checkins.page(limit=10).items:  # the same rule as the verdict's
            codes = {r.code for r in checkin_verdict(checkin).reasons}
            for code in ("GPS_OUTSIDE_GEOFENCE", "PHOTO_BLURRY", "NOT_YET_JUDGED",
                         "UNSPECIFIED"):
                assert (names[checkin.id] in found(code)) == (code in codes)
