"""The rules pages: one version of a tenant's rules (readable and as JSON) with the history
of versions, the directors' editor, its refusals, and the diff between two versions.

The editor posts the rules as JSON text (``POST /v1/rules``'s body without
``base_version``, which rides in a hidden field) with the session's form token
(:mod:`serving.form_token`). A refused post re-shows the editor with the text as sent, so
nothing typed is lost. Diffs are :func:`application.rules_diff.rules_diff`'s, by JSON path.
Times are shown in the tenant's time zone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from application.rule_book import NO_VERSION
from application.rules import ANY_REGION, RuleSet
from application.rules_diff import ChangeKind, RuleChange
from serving.form_token import FORM_FIELD
from serving.pages.checkin_pages import local_time
from serving.pages.layout import page
from serving.schemas import ErrorDetail
from visitproof.store.rule_sets import RuleSetSummary

RULES_PAGE = "/manager/rules"
DIFF_PAGE = "/manager/rules/diff"
#: The form fields of the editor (besides the form token).
TEXT_FIELD, NOTE_FIELD, BASE_FIELD = "rules", "note", "base_version"
#: What the editor offers a tenant without rules: nothing featured, the default gondola.
STARTER_BODY: Mapping[str, Any] = {"featured": [], "golden_zones": {}, "evidence": {}}
#: A form field as wide as the page, on a phone too.
_WIDE = "width:100%;box-sizing:border-box;"
_READ_ONLY = ("<p id='vp-rules-read-only' class='muted'>Read-only: only directors and admins "
              "may change the rules.</p>")


@dataclass(frozen=True, slots=True)
class Draft:
    """What a director sent from the editor, re-shown as sent when it is refused."""

    text: str
    note: str
    base_version: int


def body_json(body: Mapping[str, Any]) -> str:
    """A rules body as the editor and the page show it: indented JSON, non-ASCII kept."""
    return json.dumps(dict(body), indent=2, ensure_ascii=False)


def rules_page(shown: RuleSet | None, *, versions: Sequence[RuleSetSummary], timezone: str,
               editor: str | None, saved: int | None = None) -> str:
    """The rules page: ``shown`` (None: the tenant has no rules yet), readable and as JSON,
    then ``editor`` (HTML; None: the caller may only read; empty: another version than the
    current one is shown), then the history, newest first."""
    zone = ZoneInfo(timezone)
    current = versions[-1].version if versions else None
    parts = []
    if saved is not None:
        parts.append(f"<p id='vp-rules-saved' class='verified'>Saved: version {saved} now "
                     "judges every upload.</p>")
    if shown is None:
        parts.append("<p id='vp-rules-none'>This tenant has no rules yet: every registered SKU "
                     "is featured, with the default gondola golden zone.</p>")
    else:
        parts.append(_version_header(shown, current, zone) + _readable(shown)
                     + "<h2>As JSON</h2><pre id='vp-rules-json' style='white-space:"
                     "pre-wrap;overflow-wrap:anywhere;background:#f7f7f7;padding:8px'>"
                     f"{escape(body_json(shown.body))}</pre>")
    if editor is None:
        parts.append(_READ_ONLY)
    elif editor:
        parts.append(editor)
    elif current is not None:
        parts.append(f"<p class='muted'>To edit, open <a href='{RULES_PAGE}'>the current "
                     f"version ({current})</a>.</p>")
    parts.append(_history(versions, current, shown.version if shown else None, zone,
                          timezone))
    return page("Rules", "".join(parts), current=RULES_PAGE)


def rules_editor(draft: Draft, form_token: str,
                 errors: Sequence[ErrorDetail] = ()) -> str:
    """The editor: the rules' JSON text, an optional note, the version it was edited from
    and the form token; ``errors`` (a refused post's) listed above it."""
    listed = ""
    if errors:
        items = "".join(
            f"<li>{f'<code>{escape(e.field)}</code>: ' if e.field else ''}{escape(e.message)}"
            f" <span class='muted'>(<code>{escape(e.code)}</code>)</span></li>"
            for e in errors)
        listed = f"<div class='error' id='vp-rules-errors'><ul>{items}</ul></div>"
    # A newline right after <textarea> is dropped by the HTML parser: send one of our own
    # so a text that starts with one keeps it.
    return (f"<form id='vp-rules-editor' method='post' action='{RULES_PAGE}'>"
            f"<h2>Edit (saves version {draft.base_version + 1})</h2>{listed}"
            f"<input type='hidden' name='{FORM_FIELD}' value='{escape(form_token)}'>"
            f"<input type='hidden' name='{BASE_FIELD}' value='{draft.base_version}'>"
            "<p><label>the rules as JSON: <code>featured</code>, <code>golden_zones</code>, "
            "<code>default_fixture_type</code>, <code>evidence</code><br>"
            f"<textarea name='{TEXT_FIELD}' rows='24' spellcheck='false' style='{_WIDE}"
            "font:12px/1.4 monospace'>\n"
            f"{escape(draft.text)}</textarea></label></p>"
            "<p><label>note (optional: what changed and why)<br>"
            f"<input name='{NOTE_FIELD}' style='{_WIDE}' value='{escape(draft.note)}'>"
            "</label></p>"
            "<p><button type='submit'>Save as a new version</button> <span class='muted'>"
            "Earlier verdicts keep the version that judged them.</span></p></form>")


def refused_page(draft: Draft, form_token: str, errors: Sequence[ErrorDetail]) -> str:
    """The 422 page of a refused post: what is wrong (field path and message), and the
    editor again with the text as sent. Nothing was stored."""
    codes = ", ".join(dict.fromkeys(f"<code>{escape(e.code)}</code>" for e in errors))
    body = (f"<p>Nothing was stored: the rules were refused ({codes}; HTTP 422). Fix them "
            "below and save again.</p>" + rules_editor(draft, form_token, errors))
    return page("Rules not saved", body, current=RULES_PAGE)


def stale_page(draft: Draft, form_token: str, *, theirs: RuleSet | None,
               their_changes: Sequence[RuleChange] | None,
               your_changes: Sequence[RuleChange], timezone: str) -> str:
    """The 409 page of a post edited from a version that is no longer the current one:
    who saved ``theirs`` (None: the tenant has no rules) when, what they changed since the
    draft's version (None: that version is unknown), what the draft would change on top of
    theirs, and the editor again with the text as sent, now based on their version."""
    zone = ZoneInfo(timezone)
    current = theirs.version if theirs else NO_VERSION
    if theirs is None:
        who = "This tenant has no rules yet"
    else:
        who = (f"Someone else saved version {current} (<strong>"
               f"{escape(theirs.created_by or '?')}</strong>, {local_time(theirs.created_at, zone)}"
               f"{_note(theirs.note)})")
    body = (f"<div class='error' id='vp-rules-stale'><p>{who} after you opened version "
            f"{draft.base_version}. Nothing was stored, so their change is not undone.</p>"
            f"<p class='muted'>HTTP 409 · <code>STALE_RULES_VERSION</code></p></div>")
    if their_changes is not None:
        body += (f"<h2>What version {current} changed (from version {draft.base_version})</h2>"
                 + change_table(their_changes, "vp-their-changes"))
    body += (f"<h2>What your text changes in version {current}</h2>"
             + change_table(your_changes, "vp-your-changes")
             + "<p>Your text is below, now based on their version: saving it stores it as "
             f"version {current + 1}, with exactly the changes listed just above.</p>")
    retry = Draft(text=draft.text, note=draft.note, base_version=current)
    return page(f"Version {current} was saved meanwhile", body + rules_editor(retry, form_token),
                current=RULES_PAGE)


def diff_page(old: RuleSet, new: RuleSet, changes: Sequence[RuleChange], *,
              timezone: str) -> str:
    """The changes from version ``old`` to version ``new``, by JSON path."""
    zone = ZoneInfo(timezone)
    heads = "".join(
        f"<li><a href='{RULES_PAGE}?version={r.version}'>version {r.version}</a>: saved by "
        f"{escape(r.created_by or '?')}, {local_time(r.created_at, zone)}{_note(r.note)}</li>"
        for r in (old, new))
    body = (f"<ul>{heads}</ul><p class='muted'>Times in {escape(timezone)}.</p>"
            + change_table(changes, "vp-rules-diff"))
    return page(f"Rules: version {old.version} → {new.version}", body, current=RULES_PAGE)


def change_table(changes: Sequence[RuleChange], table_id: str) -> str:
    """One row per change: its JSON path, what kind, the old and the new value (JSON)."""
    if not changes:
        return f"<p id='{table_id}'>No differences.</p>"
    rows = "".join(
        f"<tr class='change-{c.kind.value}' data-path='{escape(c.path)}'>"
        f"<td><code>{escape(c.path)}</code></td><td>{c.kind.value}</td>"
        f"<td>{'' if c.kind is ChangeKind.ADDED else _value(c.old)}</td>"
        f"<td>{'' if c.kind is ChangeKind.REMOVED else _value(c.new)}</td></tr>"
        for c in changes)
    return _sideways(f"<table id='{table_id}'><thead><tr><th>path</th><th>change</th>"
                     f"<th>old</th><th>new</th></tr></thead><tbody>{rows}</tbody></table>")


def _version_header(shown: RuleSet, current: int | None, zone: ZoneInfo) -> str:
    which = "the current version" if shown.version == current else \
        f"an earlier version; the current one is <a href='{RULES_PAGE}'>{current}</a>"
    return (f"<p id='vp-rules-version'>Version <strong>{shown.version}</strong> ({which}): "
            f"saved by <strong>{escape(shown.created_by or '?')}</strong>, "
            f"{local_time(shown.created_at, zone)}{_note(shown.note)}.</p>")


def _readable(rules: RuleSet) -> str:
    featured = "".join(
        f"<tr><td>{'every region' if r.region == ANY_REGION else escape(r.region)}</td>"
        f"<td>{', '.join(f'<code>{escape(s)}</code>' for s in r.skus)}</td>"
        f"<td>{r.valid_from}</td><td>{r.valid_until}</td></tr>" for r in rules.featured)
    parts = ["<h2>Featured SKUs</h2>", _sideways(
        "<table id='vp-rules-featured'><thead><tr><th>region</th><th>SKUs</th><th>from</th>"
        f"<th>until (local days, inclusive)</th></tr></thead><tbody>{featured}</tbody></table>"
    ) if featured else "<p>Nothing is featured.</p>"]
    zones = []
    for name, policy in rules.golden_zones.items():
        if policy.height_band_cm is not None and policy.fixture_height_cm:
            low, high = policy.height_band_cm
            where = f"{low:g}–{high:g} cm above the floor of a {policy.fixture_height_cm:g} cm " \
                "fixture"
        else:
            where = "; ".join(f"{count} shelves: row{'' if len(chosen) == 1 else 's'} "
                              f"{', '.join(map(str, chosen))}"
                              for count, chosen in sorted(policy.rows_by_shelf_count.items()))
        default = " <span class='muted'>(default)</span>" \
            if name == rules.default_fixture_type else ""
        zones.append(f"<tr data-fixture-type='{escape(name)}'><td>{escape(name)}{default}</td>"
                     f"<td>{escape(where)}</td><td><code>{escape(policy.pass_rule.value)}"
                     f"</code></td><td>{policy.min_share:g}</td></tr>")
    parts.append("<h2>Golden zones per fixture type</h2>" + _sideways(
        "<table id='vp-rules-zones'><thead><tr><th>fixture type</th><th>golden zone (row 1 = "
        "top)</th><th>pass rule</th><th>min share</th></tr></thead>"
        f"<tbody>{''.join(zones)}</tbody></table>"))
    evidence = "".join(
        f"<tr><td>{escape(kind.value)}</td>"
        f"<td>{', '.join(f'<code>{escape(e.value)}</code>' for e in needed) or '—'}</td></tr>"
        for kind, needed in rules.evidence.items())
    parts.append("<h2>Extra evidence per customer type</h2>" + (_sideways(
        "<table id='vp-rules-evidence'><thead><tr><th>customer type</th><th>each check-in "
        f"needs</th></tr></thead><tbody>{evidence}</tbody></table>") if evidence
        else "<p>No customer type needs extra evidence.</p>"))
    return "".join(parts)


def _history(versions: Sequence[RuleSetSummary], current: int | None, shown: int | None,
             zone: ZoneInfo, timezone: str) -> str:
    if not versions:
        return ""
    rows = []
    for v in reversed(versions):
        marks = " ".join(label for flag, label in ((v.version == current, "current"),
                                                  (v.version == shown, "shown")) if flag)
        query = urlencode({"from": v.version - 1, "to": v.version})
        diff = (f"<a href='{DIFF_PAGE}?{escape(query)}'>"
                "diff with previous</a>") if v.version > 1 else ""
        rows.append(f"<tr data-version='{v.version}'><td><a href='{RULES_PAGE}?version="
                    f"{v.version}'>{v.version}</a> <span class='muted'>{marks}</span></td>"
                    f"<td>{local_time(v.created_at, zone)}</td><td>{escape(v.created_by)}</td>"
                    f"<td>{escape(v.note or '')}</td><td>{diff}</td></tr>")
    return "<h2>History</h2>" + _sideways(
        "<table id='vp-rules-history'><thead><tr><th>version</th>"
        f"<th>saved ({escape(timezone)})</th><th>by</th><th>note</th><th></th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table>")


def _sideways(table: str) -> str:
    """``table`` in a box that scrolls sideways on a narrow screen, not the whole page."""
    return f"<div style='overflow-x:auto'>{table}</div>"


def _note(note: str | None) -> str:
    return f": “{escape(note)}”" if note else ""


def _value(value: Any) -> str:
    # A whole added rule is one long line of JSON: wrap it in its cell, not off the page.
    return (f"<code style='overflow-wrap:anywhere'>"
            f"{escape(json.dumps(value, ensure_ascii=False))}</code>")
