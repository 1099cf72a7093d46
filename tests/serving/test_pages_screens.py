"""Every manager page in a real headless Chromium at a phone's width (390 px) and a desk's
(1400 px): nothing wider than the window, the bar, the title and the page's own key parts
visible, a quiet console, no request to another host, and a full-page screenshot that
matches its golden in ``golden_screens/`` (:func:`tests.pages_harness.compare_screen`;
``VISITPROOF_UPDATE_GOLDENS=1`` rewrites them).

The store is the company of :mod:`tests.api_harness` with the visits of
:func:`tests.serving.test_reports.seed_reports` (November 2026, Asia/Shanghai), pinned to
fixed ids, one check-in waiting for review (with its photo), one rejected for several
reasons, and two versions of the rules, all written at fixed past instants, so the pages
read the same on every run. Chromium runs with fixed fonts (DejaVu, ``fonts-dejavu-core``),
a device scale of 1, no scrollbars, and a host resolver that finds nothing but the loopback
address, so a request to another host could not even leave.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from application.rule_book import NO_VERSION, RuleBook
from application.settings import Settings
from serving.app import create_app
from tests.api_harness import Api, seed, shelf_photo
from tests.browser import (
    document_status,
    foreign_requests,
    full_page_png,
    headless_chromium,
    network_events,
    requested_urls,
)
from tests.builders import TENANT, make_customer, make_tenant, with_verdict
from tests.pages_harness import UPDATE_GOLDENS, compare_screen, serve
from tests.serving.test_reports import OWNERS, place, visit
from visitproof.records import Checkin, CheckinStatus
from visitproof.store import Database, Store, open_database
from visitproof.store.photos import PhotoStore

GOLDENS = Path(__file__).resolve().parent / "golden_screens"
#: (name, window width, window height): the phone and the desk.
WIDTHS = {"phone": (390, 844), "desk": (1400, 900)}
#: Chromium flags that make a screenshot reproducible, and keep it on this machine.
SCREEN_FLAGS = ("--force-device-scale-factor=1", "--hide-scrollbars",
                "--font-render-hinting=none", "--disable-lcd-text",
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1")
REVIEW, REJECTED = 0xAAAA, 0xBBBB
REVIEW_ID = uuid.UUID(f"00000000-0000-4000-8000-{REVIEW:012x}")
REJECTED_ID = uuid.UUID(f"00000000-0000-4000-8000-{REJECTED:012x}")
WRITTEN = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Screen:
    """One page to look at: ``path`` (``{review}``, ``{rejected}``: the check-ins' ids),
    the CSS selectors that must be visible with a non-zero width, the least width of some
    of them at the phone's width, a script that is true once the page has drawn itself, and
    whether to shoot the whole document or only the window (a page whose length follows the
    API, like the docs)."""

    name: str
    path: str
    visible: tuple[str, ...] = ("#vp-nav", "h1")
    phone_widths: tuple[tuple[str, int], ...] = ()
    ready: str = "return document.readyState === 'complete'"
    full_page: bool = True
    status: int = 200


SCREENS = (
    Screen("checkins", "/manager/checkins"),
    Screen("checkin-review", "/manager/checkins/{review}", visible=("#vp-nav", "h1", "form")),
    Screen("checkin-rejected", "/manager/checkins/{rejected}"),
    Screen("reviews", "/manager/reviews", visible=("#vp-nav", "h1", "table")),
    Screen("phi", "/manager/phi?period=2026-11"),
    Screen("overlap", "/manager/overlap?from=2026-11-01&to=2026-11-30&tiles=none",
           visible=("#vp-nav", "h1", "#vp-map", "#vp-side", "#vp-table"),
           phone_widths=(("#vp-map", 300),), ready="return window.vpReady === true"),
    Screen("docs", "/docs", visible=(".swagger-ui .info",), full_page=False,
           ready="return !!document.querySelector('.swagger-ui .opblock')"),
    Screen("redoc", "/redoc", visible=("redoc h1",), full_page=False,
           ready="return !!document.querySelector('redoc h1')"),
    Screen("login-refused", "/manager/login?token=not-a-token", visible=("h1", ".error"),
           status=401),
    Screen("gallery", "/manager/gallery"),
    Screen("rules", "/manager/rules"),
    Screen("rules-diff", "/manager/rules/diff?from=1&to=2"),
    Screen("phi-explain", "/manager/phi/explain?rep=r1&period=2026-11"),
    Screen("rep-day", "/manager/reps/r1/day?date=2026-11-03"),
    # The rep's pages, signed in as rep r1: the visit-note form and a customer's visit pack
    # (as of a fixed instant); the manager's view of the same pack.
    Screen("rep-notes", "/rep/notes", visible=("h1", "#vp-note-form")),
    Screen("rep-visit-pack", "/rep/customers/c1/visit-pack?at=2026-11-20T10:00:00%2B08:00",
           visible=("h1", "#orders", "#last-verified")),
    Screen("visit-pack", "/manager/customers/c1/visit-pack?at=2026-11-20T10:00:00%2B08:00",
           visible=("#vp-nav", "h1", "#orders", "#last-verified")),
)


def pinned(checkin: Checkin, number: int, photos: PhotoStore) -> Checkin:
    """``checkin`` under a fixed id (its verdicts follow) with a photo of its own in the
    store, so pages show the same links and pictures on every run."""
    identifier = uuid.UUID(int=(0x4000 << 64) | (0x8000 << 48) | number)
    return replace(checkin, id=identifier, photo_sha256=photos.put(shelf_photo(seed=number)),
                   verifications=tuple(replace(v, checkin_id=identifier)
                                       for v in checkin.verifications))


def seed_screens(database: Database, photos: PhotoStore) -> None:
    """The visits of ``seed_reports`` under fixed ids, a check-in waiting for review, one
    rejected for several reasons, and two versions of the rules."""
    made = [visit("r1", "c1", 10, 1), visit("r3", "c4", 5, 2),
            visit("r3", "c5", 6, 3, CheckinStatus.REJECTED), visit("r2", "c3", 10, 5)]
    made += [visit(rep, customer, day, hour) for day in (3, 4, 10)
             for rep in ("r1", "r2") for hour, customer in ((1, "c1"), (3, "c2"))
             if not (day == 10 and (customer == "c2" or rep == "r1"))]
    review = with_verdict(replace(visit("r2", "c3", 12, 4), verifications=()),
                          CheckinStatus.NEEDS_REVIEW, "DWELL_TOO_SHORT",
                          "MANDATORY_EVIDENCE_MISSING")
    rejected = with_verdict(replace(visit("r1", "c2", 11, 6), verifications=()),
                            CheckinStatus.REJECTED, "GPS_OUTSIDE_GEOFENCE",
                            "MOCK_LOCATION_FLAG", "FIX_EXACTLY_ON_CUSTOMER",
                            "EXIF_POSITION_MISMATCH")
    checkins = [pinned(checkin, number, photos)
                for number, checkin in enumerate(made, start=1)]
    checkins += [pinned(review, REVIEW, photos), pinned(rejected, REJECTED, photos)]
    with database.begin() as connection:
        acme = Store(connection, TENANT)
        acme.reference.put_customers([make_customer(c, *place(c), tier=tier, reps=(rep,))
                                      for c, (tier, rep) in OWNERS.items()])
        acme.checkins.add_many(checkins)
        book = RuleBook(connection, TENANT)
        first = {"featured": [{"region": "east", "skus": ["SKU-EAST"],
                               "valid_from": "2026-11-01", "valid_until": "2026-11-30"}]}
        book.add(first, base_version=NO_VERSION, created_by="d1", now=WRITTEN,
                 note="November range")
        book.add({**first, "evidence": {"pharmacy": ["contract_number"]}}, base_version=1,
                 created_by="a1", now=WRITTEN.replace(day=25),
                 note="pharmacies give a contract number")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    """The app over the seeded store, served on loopback: (its URL, a director's token,
    rep r1's token)."""
    data_dir = tmp_path_factory.mktemp("screens") / "store"
    database = open_database(f"sqlite:///{data_dir / 'visitproof.sqlite3'}",
                             create_dir=True)
    database.migrate()
    with database.begin() as connection:
        Store(connection, TENANT).reference.put_tenant(make_tenant())
    tokens = seed(database)
    settings = Settings(data_dir=data_dir)
    seed_screens(database, PhotoStore(settings.photos_dir))
    with serve(create_app(settings)) as url:
        yield url, tokens["director"], tokens["rep"]
    database.dispose()


@pytest.fixture(scope="module")
def browsers(site: tuple[str, str, str]) -> Iterator[Callable[[str], Any]]:
    """One Chromium per width, signed in to the manager pages as a director and to the rep
    pages as rep r1 (two cookies, one per path), started on first use and kept for the
    module."""
    url, token, rep_token = site
    started: dict[str, Any] = {}
    with ExitStack() as stack:
        def at(width: str) -> Any:
            if width not in started:
                wide, high = WIDTHS[width]
                # Headless windows are at least 500 px wide: the phone is emulated, as a
                # phone lays pages out (a page without a viewport tag at 980 px).
                driver = stack.enter_context(headless_chromium(
                    window=(max(wide, 800), high), flags=SCREEN_FLAGS, console_log=True,
                    network_log=True))
                driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                    "width": wide, "height": high, "deviceScaleFactor": 1,
                    "mobile": width == "phone"})
                driver.get(f"{url}/manager/login?token={token}&next=/manager/checkins")
                assert driver.current_url == f"{url}/manager/checkins"
                driver.get(f"{url}/rep/login?token={rep_token}&next=/rep")
                assert driver.current_url == f"{url}/rep"
                started[width] = driver
            return started[width]
        yield at


def visible_width(driver: Any, selector: str) -> float:
    """The rendered width of the first element matching ``selector`` (0: none, or hidden)."""
    width = driver.execute_script(
        "const e = document.querySelector(arguments[0]); if (!e) return 0;"
        "const s = getComputedStyle(e); if (s.visibility === 'hidden' || "
        "s.display === 'none') return 0; const r = e.getBoundingClientRect();"
        "return r.height > 0 ? r.width : 0", selector)
    return float(width)


def running_off(driver: Any, width: int) -> list[str]:
    """The outermost elements whose right edge passes the window's, outside any wrapper
    that scrolls sideways on its own: what makes the page wider than the phone."""
    found: list[str] = driver.execute_script(
        "const w = arguments[0], out = [];"
        "const scrolls = e => { for (let p = e.parentElement; p; p = p.parentElement) {"
        "  const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' ||"
        "  o === 'hidden') return true; } return false; };"
        "for (const e of document.body.querySelectorAll('*')) {"
        "  if (e.getBoundingClientRect().right <= w + 1 || scrolls(e)) continue;"
        "  if (out.some(o => o.contains(e))) continue; out.push(e); }"
        "return out.slice(0, 8).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')"
        " + (e.className && typeof e.className === 'string' ? '.' + e.className.trim()"
        ".split(/\\s+/).join('.') : '') + ' ' + Math.round(e.getBoundingClientRect().width)"
        " + 'px')", width)
    return found


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("screen", SCREENS, ids=[s.name for s in SCREENS])
def test_page_fits_and_matches_its_golden(site: tuple[str, str, str],
                                          browsers: Callable[[str], Any], screen: Screen,
                                          width: str, tmp_path: Path) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    url, _, _ = site
    driver = browsers(width)
    network_events(driver)
    driver.get_log("browser")  # what earlier pages left behind
    driver.get(url + screen.path.format(review=REVIEW_ID, rejected=REJECTED_ID))
    events = network_events(driver)
    status = document_status(events)
    assert status == screen.status, f"{screen.path} answered {status}"
    WebDriverWait(driver, 20).until(lambda b: b.execute_script(screen.ready))
    # The whole page is shot at once: load the images a reader would reach by scrolling.
    driver.execute_script("for (const i of document.images) i.loading = 'eager'")
    WebDriverWait(driver, 20).until(lambda b: b.execute_script(
        "return [...document.images].every(i => i.complete)"))
    events += network_events(driver)

    assert foreign_requests(requested_urls(events), url) == []
    # The emulated phone zooms out to show a wider page whole: hold it to the device width.
    inner, scroll = WIDTHS[width][0], driver.execute_script(
        "return document.documentElement.scrollWidth")
    assert scroll <= inner + 1, (f"the page is {scroll} px wide in a {inner} px window: "
                                 f"{running_off(driver, inner)}")
    for selector in screen.visible:
        assert visible_width(driver, selector) > 0, f"{selector} is not visible"
    if width == "phone":
        for selector, least in screen.phone_widths:
            assert visible_width(driver, selector) >= least, \
                f"{selector} is narrower than {least} px at {inner} px"
    # A refusal page's own status is logged as a failed load: that one is the point.
    errors = [entry["message"] for entry in driver.get_log("browser")
              if entry["level"] == "SEVERE" and not (
                  screen.status >= 400 and entry["message"].startswith(
                      url + screen.path + " - Failed to load resource"))]
    assert errors == []

    png = full_page_png(driver) if screen.full_page else driver.get_screenshot_as_png()
    why = compare_screen(png, GOLDENS / f"{screen.name}-{width}.png", tmp_path / "screens")
    assert why is None, why


def test_a_request_to_another_host_is_caught(browsers: Callable[[str], Any]) -> None:
    """The detector above sees an image from another host, though the resolver stops it."""
    driver = browsers("phone")
    network_events(driver)
    driver.get("data:text/html,<img src='http://example.invalid/x.png'>"
               "<img src='data:image/gif;base64,R0lGODlhAQABAAAAACw='>")
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 10).until(lambda b: b.execute_script(
        "return [...document.images].every(i => i.complete)"))
    urls = requested_urls(network_events(driver))
    assert foreign_requests(urls, "http://127.0.0.1:9") == ["http://example.invalid/x.png"]
    driver.get_log("browser")  # the failed image's console line is expected here


def test_the_tolerance_forgives_rendering_and_catches_layout(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A page rendered a pixel aside with softer glyphs (a new Chromium) still matches its
    golden; the same page with the map collapsed (a broken layout) does not, and the actual
    and difference images are written where the message says."""
    from PIL import Image, ImageDraw, ImageFilter

    monkeypatch.delenv(UPDATE_GOLDENS, raising=False)  # compares even while goldens update

    shot = tmp_path / "shot.png"
    page = Image.new("RGB", (390, 844), "white")
    draw = ImageDraw.Draw(page)
    draw.rectangle((0, 0, 389, 60), fill="#263238")
    for line in range(12):
        draw.text((12, 80 + 24 * line), "Check-in at Customer c3 by Rep r2 " * 2, fill="black")
    draw.rectangle((0, 400, 389, 800), fill="#eef1f4")
    page.save(shot)
    golden = tmp_path / "golden.png"
    assert compare_screen(shot.read_bytes(), golden, tmp_path / "out") is not None  # new
    assert golden.exists()

    drifted = Image.new("RGB", page.size, "white")
    drifted.paste(page.filter(ImageFilter.GaussianBlur(0.6)), (2, 3))
    drifted.save(shot)
    assert compare_screen(shot.read_bytes(), golden, tmp_path / "out") is None

    broken = page.copy()
    ImageDraw.Draw(broken).rectangle((0, 400, 389, 800), fill="white")
    broken.save(shot)
    why = compare_screen(shot.read_bytes(), golden, tmp_path / "out")
    assert why is not None
    assert "mean difference" in why
    assert (tmp_path / "out" / "golden.actual.png").exists()
    assert (tmp_path / "out" / "golden.diff.png").exists()

    taller = Image.new("RGB", (390, 1000), "white")
    taller.paste(page)
    taller.save(shot)
    why = compare_screen(shot.read_bytes(), golden, tmp_path / "out")
    assert why is not None
    assert "height 1000 px" in why


def test_redoc_is_served_without_its_cdn_logo(api: Api) -> None:
    """The one request ReDoc's own script makes to another host (Redocly's logo) is gone
    from the copy served, even where no browser is installed to see it."""
    from serving.api_docs import ASSETS_PATH, REDOC_CDN_LOGO, REDOC_SCRIPT, assets_folder

    assert REDOC_CDN_LOGO in (assets_folder() / REDOC_SCRIPT).read_text(encoding="utf-8")
    served = api.client.get(f"{ASSETS_PATH}/{REDOC_SCRIPT}")
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("text/javascript")
    assert len(served.content) > 100_000
    assert "cdn.redoc.ly" not in served.text
