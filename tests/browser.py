"""A headless Debian Chromium driven by selenium, for the tests that look at real pages.

    with headless_chromium(window=(1280, 900)) as driver:
        driver.get(url)

Skips the calling test when selenium, ``/usr/bin/chromium`` or ``/usr/bin/chromedriver`` is
absent (``.ci/run`` installs them). Nothing is downloaded: no driver manager, no fonts.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


@contextmanager
def headless_chromium(*, window: tuple[int, int], flags: Sequence[str] = (),
                      console_log: bool = False) -> Iterator[Any]:
    """A Chrome webdriver in a throwaway profile; ``console_log`` keeps the browser console
    for ``driver.get_log("browser")``."""
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
    if console_log:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
