"""The manager pages in a real headless Chromium against the app served by uvicorn on a free
loopback port: sign in with a link, the drill-down's annotated photo is decoded, the overlap
map draws its Leaflet layers, and the console stays free of errors.

Skips when Debian's ``chromium``/``chromedriver`` or selenium are absent (like
``tests/geo/test_overlap_map.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from application.settings import Settings
from serving.app import create_app
from tests.api_harness import Api, shelf_photo
from tests.browser import headless_chromium
from tests.builders import make_upload_meta
from tests.pages_harness import serve
from tests.serving.test_reports import seed_reports


@pytest.fixture
def browser() -> Iterator[Any]:
    with headless_chromium(window=(1280, 900), console_log=True) as driver:
        yield driver


@pytest.fixture
def served(api: Api, tmp_path: Path) -> Iterator[str]:
    """A second app over the same store, served by uvicorn in a thread; yields its URL."""
    with serve(create_app(Settings(data_dir=tmp_path / "store"))) as url:
        yield url


def test_drilldown_photo_and_overlap_map_render(api: Api, served: str, browser: Any) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    seed_reports(api.database)
    upload = api.upload(make_upload_meta(), shelf_photo(seed=5))
    assert upload.status_code == 201, upload.text
    checkin_id = upload.json()["checkin_id"]

    # Sign in with a link that goes straight on to the drill-down.
    browser.get(f"{served}/manager/login?token={api.tokens['manager']}"
                f"&next=/manager/checkins/{checkin_id}")
    assert browser.current_url == f"{served}/manager/checkins/{checkin_id}"
    WebDriverWait(browser, 15).until(lambda b: b.execute_script(
        "const img = document.getElementById('vp-photo'); return img && img.complete"))
    size = browser.execute_script(
        "const img = document.getElementById('vp-photo');"
        "return [img.naturalWidth, img.naturalHeight]")
    assert size == [1280, 960]
    assert browser.find_element("id", "vp-status").text == upload.json()["status"]

    browser.get(f"{served}/manager/overlap?from=2026-11-01&to=2026-11-30&tiles=none")
    WebDriverWait(browser, 15).until(lambda b: b.execute_script("return window.vpReady"))
    drawn = browser.execute_script(
        "return ['vp-footprint', 'vp-overlap', 'vp-neglected'].map("
        "c => document.querySelectorAll('path.' + c).length)")
    assert drawn == [2, 1, 2]  # r1 and r2, their overlap, c2 neglected and c6 never visited
    assert browser.execute_script(
        "return typeof L === 'object' && L.version") == "1.9.4"
    assert browser.execute_script(
        "return document.querySelectorAll('.leaflet-overlay-pane svg').length") == 1

    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []
