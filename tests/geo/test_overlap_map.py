"""The overlap map page in a real headless Chromium (Debian's ``chromium`` and
``chromedriver``, driven by Selenium): drawn elements counted, the table checked against the
JSON report, filters exercised, the tile fallback, and a screenshot against a golden image.

The browser tests skip when chromium, chromedriver or selenium are absent. To re-record the
golden image after an intended change of the page:
``VISITPROOF_UPDATE_GOLDEN=1 .venv/bin/pytest tests/geo/test_overlap_map.py``.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from PIL import Image, ImageChops
from pyproj import CRS

from geo.coverage import customer_sites
from geo.overlap_map import ASSETS, MapOptions, map_data, overlap_map_html
from geo.overlap_outputs import (
    OverlapInputs,
    OverlapReport,
    build_overlap_report,
    report_to_dict,
)
from geo.routes import WGS84, Period
from geo.territory_overlap import OverlapPolicy
from tests.browser import headless_chromium
from tests.builders import DAY, HANGZHOU, make_customer, make_visits, shifted
from visitproof.errors import InvalidValue

GOLDEN = Path(__file__).parent / "golden" / "overlap_map.png"
WINDOW = (1280, 720)
# Screenshots differ between machines by antialiasing and font hinting, not by layout: at
# most 1.5% of pixels may differ by more than 48 of 255 in any channel.
PIXEL_DELTA, MAX_CHANGED_SHARE = 48, 0.015

# Four reps on a 1 km grid: a and b share a street, c overlaps b's end, d is on its own.
ROUTES = {"a": [(0, 0), (0, 2000), (500, 2500)], "b": [(0, 500), (0, 2500), (1200, 3000)],
          "c": [(1500, 3000), (2500, 3500)], "d": [(-3000, -2000), (-3500, -1500)]}
NEGLECTED = {"n1": (2000, 0, ("a",)), "n2": (-2000, 2500, ("d",)), "n3": (3000, -1000, ())}


def _report(period: Period, now: datetime, policy: OverlapPolicy,
            crs: CRS | None = None) -> OverlapReport:
    rows, customers = [], []
    for rep, route in ROUTES.items():
        for k, (north, east) in enumerate(route):
            position = shifted(*HANGZHOU, north_m=north, east_m=east)
            customer = f"{rep}{k}" if (north, east) != (0, 2000) else "shared"
            rows.append((rep, customer, DAY + timedelta(hours=8 + k), position))
            customers.append(make_customer(customer, *position, reps=(rep,)))
    # Next day both a and b call on a's "shared" customer (2 km east of the origin).
    for rep, hour in (("a", 9), ("b", 10)):
        rows.append((rep, "shared", DAY + timedelta(days=1, hours=hour),
                     shifted(*HANGZHOU, east_m=2000)))
    # n1 was last visited 30 days before "now", before the period: neglected, not "never".
    rows.append(("a", "n1", DAY - timedelta(days=20), shifted(*HANGZHOU, north_m=2000)))
    for customer, (north, east, owners) in NEGLECTED.items():
        customers.append(make_customer(customer, *shifted(*HANGZHOU, north_m=north,
                                                           east_m=east), reps=owners))
    unique = {c.id: c for c in customers}
    inputs = OverlapInputs(visits=make_visits(*rows), sites=customer_sites(unique.values()),
                           territories=gpd.GeoSeries([shapely.box(120.0, 30.0, 120.4, 30.4)],
                                                     index=["t1"], crs=WGS84),
                           rep_territory={}, rep_names={r: f"Rep {r.upper()}" for r in ROUTES})
    return build_overlap_report(inputs, period, now, policy, crs=crs)


POLICY = OverlapPolicy(top_n=3, neglect_days=21)
MONTH = _report(Period(DAY - timedelta(days=2), DAY + timedelta(days=28), name="November"),
                DAY + timedelta(days=10), POLICY)
FIRST_DAY = _report(Period(DAY, DAY + timedelta(days=1), name="3 Nov"), DAY + timedelta(days=1),
                    POLICY)


def _page(tmp_path: Path, options: MapOptions) -> str:
    page = tmp_path / "overlap.html"
    page.write_text(overlap_map_html([MONTH, FIRST_DAY], options), encoding="utf-8")
    return page.as_uri()


def test_page_is_self_contained() -> None:
    html = overlap_map_html([MONTH], MapOptions())
    assert "<script src" not in html
    assert "<link" not in html
    assert "unpkg" not in html
    assert "cdn" not in html.lower()
    assert "sourceMappingURL" not in html
    assert '"tile_url":null' in html  # remote tiles only when asked for
    assert "openstreetmap" not in html
    assert "BSD 2-Clause" in (ASSETS / "LICENSE-leaflet").read_text()


def test_page_data_matches_the_json_report() -> None:
    html = overlap_map_html([MONTH], MapOptions(tile_url=None))
    data = json.loads(html.split('id="vp-data">')[1].split("</script>")[0])
    assert data["periods"][0]["pairs"] == report_to_dict(MONTH)["pairs"]
    assert data["default_reps"] == list(MONTH.matrix.reps)


def test_periods_measured_in_different_crs_raise() -> None:
    other = _report(Period(DAY, DAY + timedelta(days=1)), DAY + timedelta(days=1), POLICY,
                    crs=CRS.from_epsg(32650))
    with pytest.raises(InvalidValue) as raised:
        map_data([MONTH, other], MapOptions())
    assert raised.value.code == "CRS_MISMATCH"


# -- in the browser -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with headless_chromium(window=WINDOW, flags=(
            "--hide-scrollbars", "--force-device-scale-factor=1",
            "--font-render-hinting=none")) as driver:
        yield driver


def _open(browser: Any, url: str) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(url)
    WebDriverWait(browser, 10).until(lambda b: b.execute_script("return window.vpReady"))


def _counts(browser: Any) -> tuple[int, int, int]:
    return tuple(browser.execute_script(
        "return ['vp-footprint', 'vp-overlap', 'vp-neglected'].map("
        "c => document.querySelectorAll('path.' + c).length)"))


def _expected(report: OverlapReport, reps: set[str]) -> tuple[int, int, int]:
    footprints = len(set(report.footprints.frame.index) & reps)
    overlaps = sum(1 for p in report.pairs if p.overlap_m2 > 0 and {p.rep_a, p.rep_b} <= reps)
    neglected = sum(1 for owners, status in zip(report.customers["owner_rep_ids"],
                                                report.customers["status"], strict=True)
                    if status != "covered" and (not owners or set(owners) & reps))
    return footprints, overlaps, neglected


def _table(browser: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = browser.execute_script(
        "return [...document.querySelectorAll('#vp-pairs tbody tr')].map(r => ({"
        "rep_a: r.dataset.repA, rep_b: r.dataset.repB, share_a_in_b: +r.dataset.shareAInB,"
        "share_b_in_a: +r.dataset.shareBInA, iou: +r.dataset.iou,"
        "shared_accounts: +r.dataset.sharedAccounts}))")
    return rows


def test_draws_top_reps_and_table_matches_json(browser: Any, tmp_path: Path) -> None:
    _open(browser, _page(tmp_path, MapOptions(tile_url=None)))
    top = set(MONTH.matrix.reps)
    assert _counts(browser) == _expected(MONTH, top)
    assert _counts(browser)[1] >= 2  # a∩b and b∩c are drawn
    keys = ("rep_a", "rep_b", "share_a_in_b", "share_b_in_a", "iou", "shared_accounts")
    expected = [{k: pair[k] for k in keys} for pair in report_to_dict(MONTH)["pairs"]
                if {pair["rep_a"], pair["rep_b"]} <= top]
    assert _table(browser) == expected
    cells = browser.execute_script(
        "return [...document.querySelectorAll('#vp-pairs tbody tr:first-child td')]"
        ".map(td => td.textContent)")
    first = expected[0]
    assert cells == [first["rep_a"], first["rep_b"], f"{100 * first['share_a_in_b']:.1f}%",
                     f"{100 * first['share_b_in_a']:.1f}%", f"{100 * first['iou']:.1f}%",
                     str(first["shared_accounts"])]


def test_rep_and_period_filters(browser: Any, tmp_path: Path) -> None:
    _open(browser, _page(tmp_path, MapOptions(tile_url=None)))
    browser.find_element("id", "vp-all").click()
    assert _counts(browser) == _expected(MONTH, set(ROUTES))
    browser.find_element("css selector", "#vp-reps input[value='b']").click()
    assert _counts(browser) == _expected(MONTH, set(ROUTES) - {"b"})
    browser.execute_script("const s = document.getElementById('vp-period');"
                           "s.value = '1'; s.dispatchEvent(new Event('change'));")
    assert _counts(browser) == _expected(FIRST_DAY, set(ROUTES) - {"b"})
    browser.find_element("id", "vp-none").click()
    assert _counts(browser)[:2] == (0, 0)
    assert _table(browser) == []


def test_unreachable_tiles_fall_back_to_plain_background(browser: Any,
                                                         tmp_path: Path) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    _open(browser, _page(tmp_path, MapOptions(tile_url="http://127.0.0.1:9/{z}/{x}/{y}.png")))
    WebDriverWait(browser, 10).until(lambda b: b.execute_script(
        "return !document.getElementById('vp-tiles-note').hidden"))
    assert browser.execute_script("return document.querySelectorAll('.leaflet-tile').length") == 0


def test_screenshot_matches_golden_image(browser: Any, tmp_path: Path) -> None:
    _open(browser, _page(tmp_path, MapOptions(tile_url=None)))
    shot = tmp_path / "overlap_map.png"
    browser.save_screenshot(str(shot))
    if os.environ.get("VISITPROOF_UPDATE_GOLDEN") == "1" or not GOLDEN.exists():
        if os.environ.get("VISITPROOF_UPDATE_GOLDEN") != "1":
            pytest.fail(f"no golden image at {GOLDEN}; record it with "
                        "VISITPROOF_UPDATE_GOLDEN=1")
        GOLDEN.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, GOLDEN)
    got, want = Image.open(shot).convert("RGB"), Image.open(GOLDEN).convert("RGB")
    assert got.size == want.size
    delta = np.asarray(ImageChops.difference(got, want)).max(axis=2)
    changed = float((delta > PIXEL_DELTA).mean())
    assert changed <= MAX_CHANGED_SHARE, (
        f"{changed:.2%} of pixels differ from {GOLDEN.name}; see {shot}")
