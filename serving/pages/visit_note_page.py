"""A visit note as HTML: the draft fields (rep page ``/rep/notes``) and the note section of
the manager's check-in drill-down, with an ``<audio controls>`` player for a recording."""

from __future__ import annotations

from html import escape
from zoneinfo import ZoneInfo

from serving.schemas_visit_notes import VisitNotePublic


def draft_html(note: VisitNotePublic, zone: ZoneInfo, *, audio_src: str | None = None) -> str:
    """The draft of ``note`` as a definition list (times local to ``zone``), with its
    recording as an ``<audio controls>`` player at ``audio_src`` when given."""
    rows: list[tuple[str, str]] = []
    draft = note.draft
    if note.text:
        rows.append(("Note", escape(note.text)))
    if note.transcript is not None:
        rows.append(("Transcript", escape(note.transcript) or "<em>nothing heard</em>"))
    if note.audio is not None and audio_src:
        rows.append(("Recording", f"<audio controls preload='none' src='{escape(audio_src)}'>"
                                  "</audio>"))
    if draft is None:
        rows.append(("Draft", "<strong>needs typing</strong>: a Chinese recording is kept "
                              "for playback; type the note to get a draft."))
    else:
        customer = draft.customer
        contact = draft.contact
        action = draft.next_action
        due = None if action is None or action.due_at is None else action.due_at.astimezone(zone)
        rows += [
            ("Customer", "—" if customer is None else
             f"{escape(customer.name)} <code>{escape(customer.id)}</code>"),
            ("Department", escape(draft.department or "—")),
            ("Contact", "—" if contact is None else
             f"{escape(contact.name)} ({escape(contact.role.value)}) "
             f"<code>{escape(contact.id)}</code>"),
            ("Conclusion", escape(draft.conclusion or "—")),
            ("Next action", "—" if action is None else escape(action.text)),
            ("Due", "—" if due is None or action is None else
             f"{due:%Y-%m-%d %H:%M} <span class='muted'>({escape(str(zone))}, from "
             f"“{escape(action.due_phrase or '')}”)</span>"),
        ]
        if draft.unresolved:
            rows.append(("To fill in", escape(", ".join(draft.unresolved))))
    items = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in rows)
    use = ("send it as <code>visit_note_id</code> with the check-in"
           if note.checkin_id is None else f"used for check-in <code>{note.checkin_id}</code>")
    return (f"<dl class='vp-note' id='vp-note'>{items}</dl>"
            f"<p class='muted'>Status <code>{escape(note.status.value)}</code> · note "
            f"<code>{note.id}</code>: {use}.</p>")


def checkin_note_section(note: VisitNotePublic, zone: ZoneInfo) -> str:
    """The drill-down's section: the note the check-in was made from (text or transcript,
    the draft, the recording played under the manager cookie)."""
    return ("<h2>Visit note</h2>" + draft_html(
        note, zone, audio_src=f"/manager/visit-notes/{note.id}/audio" if note.audio else None))
