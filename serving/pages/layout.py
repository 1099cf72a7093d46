"""The frame of the manager pages (title, navigation, style) and their error page.

Pages are plain server-rendered HTML with inline CSS, no scripts and no external resources;
every value from the store goes through :func:`html.escape`.

They work on a phone (390 CSS px) as on a desk: the bar wraps, long codes and ids break
anywhere, form fields never pass the page's width, and below 700 px a table wider than the
page scrolls sideways inside itself instead of widening the page.
"""

from __future__ import annotations

from html import escape

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222}
nav a:hover{text-decoration:underline}
main{margin:24px;max-width:1200px}h1{font-size:22px;overflow-wrap:break-word}
h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:8px 0}
td,th{padding:4px 8px;text-align:left;border-bottom:1px solid #eee;vertical-align:top}
th{background:#f4f4f4}.verified{color:#1b5e20}.rejected{color:#b00020}
.needs_review{color:#e65100}code{font-size:12px;color:#555;overflow-wrap:break-word}
.muted{color:#777}
.error{border:1px solid #b00020;border-radius:6px;padding:12px 16px;max-width:720px}
img{max-width:100%;height:auto}img.photo{border:1px solid #ccc}form.filters{margin:8px 0}
form.filters label{margin-right:12px;max-width:100%}
select,input,textarea{max-width:100%;box-sizing:border-box}
.scroll{overflow-x:auto;max-width:100%}
@media (max-width:700px){main{margin:12px}
table{display:block;overflow-x:auto;max-width:100%}
form.filters label{display:block;margin:4px 0}}
"""
NAV = (("/manager/checkins", "Check-ins"), ("/manager/reviews", "Review queue"),
       ("/manager/gallery", "Gallery"), ("/manager/phi", "PHI"),
       ("/manager/overlap", "Overlap map"), ("/manager/rules", "Rules"),
       ("/manager/logout", "Sign out"))
#: The bar's look, inline: it also heads pages with their own style sheet (the PHI report,
#: the overlap map). Its links wrap onto more lines on a narrow screen.
_NAV_STYLE = ("background:#263238;padding:8px 24px;font:14px/1.4 system-ui,sans-serif;"
              "display:flex;flex-wrap:wrap;gap:4px 18px")
_LINK_STYLE = "color:#fff;text-decoration:none;white-space:nowrap"


def nav_bar(current: str | None = None) -> str:
    """The navigation bar of every manager page; ``current`` (a path of :data:`NAV`) is
    marked ``aria-current``."""
    links = "".join(
        f"<a href='{href}' style='{_LINK_STYLE}'"
        f"{' aria-current=page' if href == current else ''}>{label}</a>"
        for href, label in NAV)
    return f"<nav id='vp-nav' style='{_NAV_STYLE}'>{links}</nav>"


def with_nav(document: str, current: str, extra: str = "", *, after: str = "<body>") -> str:
    """A whole page rendered elsewhere (the PHI report, the overlap map) with the bar and
    ``extra`` (HTML: the page's pickers) right after its first ``after`` tag."""
    head, found, tail = document.partition(after)
    if not found:
        raise ValueError(f"the page has no {after} to put the navigation after")
    return f"{head}{after}{nav_bar(current)}{extra}{tail}"


def page(title: str, body: str, *, nav: bool = True, current: str | None = None) -> str:
    """A whole page: ``title`` (plain text, escaped here) around ``body`` (HTML)."""
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{escape(title)} · visitproof</title><style>{STYLE}</style></head><body>"
            f"{nav_bar(current) if nav else ''}<main><h1>{escape(title)}</h1>{body}"
            "</main></body></html>\n")


def error_page(status_code: int, code: str, message: str) -> str:
    """The page for a refused request: what happened, the stable code, what to do."""
    if status_code == 401:
        title = "Sign in needed"
        hint = ("Open <code>/manager/login?token=YOUR_TOKEN</code> with a manager, director "
                "or admin token (<code>visitproof tokens create --role manager ...</code>). "
                "The page keeps it in a cookie for this browser until you sign out.")
    elif status_code == 403 and code == "CSRF_REJECTED":
        title = "Not sent from this session"
        hint = ("Nothing was changed. Open the page again and send its form from "
                "there.")
    elif status_code == 403:
        title = "Not allowed"
        hint = "These pages are for managers, directors and admins."
    elif status_code == 404:
        title = "Not found"
        hint = "It does not exist, or it is outside what your token may see."
    elif status_code == 409:
        title = "Already decided"
        hint = ("Nothing was changed: it is not waiting for a decision (any more). Open the "
                "check-in again to see where it stands.")
    elif status_code == 422:
        title = "Check the address or the form"
        hint = ("A value in the address or the form is not valid; go back, fix it and try "
                "again.")
    else:
        title = "Try again"
        hint = "The service is busy or unavailable; reload in a moment."
    body = (f"<div class='error'><p><strong>{escape(message)}</strong></p>"
            f"<p class='muted'>HTTP {status_code} · <code>{escape(code)}</code></p>"
            f"<p>{hint}</p></div>")
    return page(title, body, nav=status_code not in (401,))
