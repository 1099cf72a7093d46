"""A headless Debian Chromium driven by selenium, for the tests that look at real pages.

    with headless_chromium(window=(1280, 900)) as driver:
        driver.get(url)

Skips the calling test when selenium, ``/usr/bin/chromium`` or ``/usr/bin/chromedriver`` is
absent (``.ci/run`` installs them). Nothing is downloaded: no driver manager, no fonts.

``network_log`` keeps Chrome's performance log, from which :func:`network_events` reads the
requests: :func:`requested_urls` every URL the page asked for, :func:`foreign_requests` those
on another host than the page's, :func:`document_status` the page's own HTTP status;
:func:`full_page_png` is a screenshot of the whole document, not just the window.
"""

from __future__ import annotations

import base64
import json
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


@contextmanager
def headless_chromium(*, window: tuple[int, int], flags: Sequence[str] = (),
                      console_log: bool = False, network_log: bool = False) -> Iterator[Any]:
    """A Chrome webdriver in a throwaway profile; ``console_log`` keeps the browser console
    for ``driver.get_log("browser")``, ``network_log`` the requests for
    :func:`network_events`."""
    webdriver = pytest.importorskip("selenium.webdriver")
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("Debian chromium and chromedriver are not installed")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="vp-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                 f"--window-size={window[0]},{window[1]}", *flags):
        options.add_argument(flag)
    logs = {**({"browser": "ALL"} if console_log else {}),
            **({"performance": "ALL"} if network_log else {})}
    if logs:
        options.set_capability("goog:loggingPrefs", logs)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


#: Schemes that never leave the browser.
LOCAL_SCHEMES = frozenset({"data", "blob", "about", "chrome-error"})


def network_events(driver: Any) -> list[dict[str, Any]]:
    """The ``Network.*`` DevTools events since the last call, from the performance log of a
    driver started with ``network_log`` (reading drains it)."""
    events = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if str(message.get("method", "")).startswith("Network."):
            events.append(message)
    return events


def requested_urls(events: Sequence[dict[str, Any]]) -> list[str]:
    """Every URL the browser asked for in ``events`` (``Network.requestWillBeSent``)."""
    return [event["params"]["request"]["url"] for event in events
            if event["method"] == "Network.requestWillBeSent"]


def document_status(events: Sequence[dict[str, Any]]) -> int | None:
    """The HTTP status of the last page (document) answered in ``events``; None if none."""
    statuses = [int(event["params"]["response"]["status"]) for event in events
                if event["method"] == "Network.responseReceived"
                and event["params"].get("type") == "Document"]
    return statuses[-1] if statuses else None


def foreign_requests(urls: Sequence[str], origin: str) -> list[str]:
    """The ``urls`` that go to another host than ``origin`` (``http://host:port``):
    anything but ``origin`` itself and the local schemes (``data:``, ``blob:``,
    ``about:``)."""
    own = urlsplit(origin)
    foreign = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in LOCAL_SCHEMES:
            continue
        if (parts.scheme, parts.hostname, parts.port) != (own.scheme, own.hostname, own.port):
            foreign.append(url)
    return foreign


def full_page_png(driver: Any) -> bytes:
    """A PNG of the whole document at its laid-out size (Chrome DevTools'
    ``Page.captureScreenshot`` beyond the viewport), not just what the window shows."""
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    width = max(int(size["width"]), int(metrics["cssLayoutViewport"]["clientWidth"]))
    height = max(int(size["height"]), int(metrics["cssLayoutViewport"]["clientHeight"]))
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True, "fromSurface": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
    return base64.b64decode(shot["data"])
