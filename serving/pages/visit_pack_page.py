"""The visit pack as HTML: one renderer for the rep's page (phone, 390 CSS px) and the
manager's (the same sections in the manager layout).

Only the body is built here; the caller wraps it in its layout (``rep_page`` or ``page``).
Every value from the store goes through :func:`html.escape`; times are shown in the
tenant's time zone.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from application.visit_pack import VisitPack

#: The pack's own classes, on top of the manager style sheet (both layouts include it).
PACK_STYLE = """
section{margin:0 0 16px}ul.plain{list-style:none;padding:0;margin:4px 0}
ul.plain li{padding:6px 0;border-bottom:1px solid #eee;overflow-wrap:anywhere}
dl.facts{display:grid;grid-template-columns:auto minmax(0,1fr);gap:2px 10px;margin:4px 0}
dl.facts dt{color:#555}dl.facts dd{margin:0;overflow-wrap:anywhere}
.empty{color:#777;font-style:italic}
"""


def visit_pack_body(pack: VisitPack, *, photo_base: str, photo_query: str = "",
                    checkin_base: str | None = None) -> str:
    """The pack's sections as HTML. ``photo_base``: the path under which the viewer's cookie
    serves check-in photos (``/rep/checkins`` or ``/manager/checkins``), ``photo_query`` its
    query (``?annotated=false``); ``checkin_base``:
    where a check-in's drill-down is (None: no link, the rep pages have none)."""
    zone = ZoneInfo(pack.timezone)

    def when(instant: datetime) -> str:
        return escape(instant.astimezone(zone).strftime("%Y-%m-%d %H:%M"))

    customer = pack.customer
    parts = [
        "<section id='customer'><dl class='facts'>"
        f"<dt>Customer</dt><dd>{escape(customer.name)} <code>{escape(customer.id)}</code></dd>"
        f"<dt>Type</dt><dd>{escape(customer.type.value)}</dd>"
        f"<dt>Tier</dt><dd>{escape(customer.tier.value)}</dd>"
        f"<dt>Region</dt><dd>{escape(pack.region or '—')}</dd>"
        f"<dt>Month</dt><dd>{escape(pack.month)} ({escape(pack.timezone)})</dd>"
        "</dl></section>"]

    def section(key: str, title: str, items: list[str], empty: str | None) -> None:
        inner = (f"<p class='empty'>{escape(empty)}</p>" if empty is not None
                 else "<ul class='plain'>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>")
        parts.append(f"<section id='{key}'><h2>{escape(title)}</h2>{inner}</section>")

    section("orders", "Last orders", [
        f"{when(o.ordered_at)} · <code>{escape(o.sku)}</code> × {o.quantity} · "
        f"{o.amount:,.2f}{' ' + escape(o.currency) if o.currency else ''}"
        for o in pack.orders], pack.empty("orders"))
    section("stock", "Stock on hand", [
        f"<code>{escape(s.sku)}</code>: <strong>{s.units}</strong> "
        f"<span class='muted'>(counted {when(s.counted_at)})</span>"
        for s in pack.stock], pack.empty("stock"))
    section("promotions", "Competitor promotions this month", [
        f"<strong>{escape(p.competitor)}</strong> · {escape(p.product)}: "
        f"{escape(p.description)} <span class='muted'>({p.starts_on} – {p.ends_on})</span>"
        for p in pack.promotions], pack.empty("promotions"))
    more = pack.open_action_count - len(pack.open_actions)
    section("open-actions", "Open commitments and next actions", [
        f"{'<strong class=rejected>overdue</strong> ' if a.overdue else ''}"
        f"due {when(a.due_at)}: {escape(a.next_action)}"
        f"<br><span class='muted'>commitment: {escape(a.commitment)}"
        f"{' · contract ' + escape(a.contract_number) if a.contract_number else ''}</span>"
        for a in pack.open_actions] + ([f"<span class='muted'>and {more} more</span>"]
                                       if more > 0 else []), pack.empty("open_actions"))
    roles = pack.penetration
    touched = [f"<span class='verified'>✓</span> {escape(t.role.value)}: "
               f"{escape(t.contact_name)} <span class='muted'>({when(t.departed_at)})</span>"
               for t in roles.touched]
    missing = [f"<span class='rejected'>✗</span> {escape(m.role.value)}: "
               + ", ".join(escape(name) for _, name in m.contacts) for m in roles.missing]
    section("roles", "Decision roles (last 30 days)", touched + missing,
            None if touched or missing else pack.empty("roles"))
    shelf = pack.shelf_rules
    featured = ", ".join(f"<code>{escape(sku)}</code>" for sku in shelf.featured)
    version = (f"rules version {shelf.rules_version}" if shelf.rules_version is not None
               else "no rules: every registered SKU")
    evidence = ", ".join(escape(e) for e in shelf.required_evidence) or "none"
    parts.append(
        "<section id='shelf'><h2>Shelf: featured SKUs and golden zone</h2><dl class='facts'>"
        f"<dt>Featured</dt><dd>{featured or escape(pack.empty('featured') or '')}</dd>"
        f"<dt>Fixture</dt><dd>{escape(shelf.fixture_type)}</dd>"
        f"<dt>Golden zone</dt><dd>{escape(shelf.golden_zone_text)}</dd>"
        f"<dt>Extra evidence</dt><dd>{evidence}</dd>"
        f"<dt>Source</dt><dd class='muted'>{escape(version)}</dd></dl></section>")
    last = pack.last_verified
    if last is None:
        inner = f"<p class='empty'>{escape(pack.empty('last_verified') or '')}</p>"
    else:
        codes = ", ".join(f"<code>{escape(code)}</code>" for code in last.reason_codes)
        link = (f" · <a href='{checkin_base}/{last.checkin_id}'>check-in</a>"
                if checkin_base else "")
        src = f"{photo_base}/{last.checkin_id}/photo{photo_query}"
        photo = (f"<p><img class='photo' alt='last verified shelf photo' src='{src}'></p>"
                 if last.photo_stored
                 else "<p class='empty'>the photo is not in the photo store</p>")
        inner = (f"<p><span class='{escape(last.status.value)}'>{escape(last.status.value)}"
                 f"</span> · {when(last.departed_at)}{link}</p>"
                 f"{'<p>reasons: ' + codes + '</p>' if codes else ''}{photo}")
    parts.append(f"<section id='last-verified'><h2>Last verified shelf photo</h2>{inner}"
                 "</section>")
    return "".join(parts)
