"""Pushed actions: the one rule behind "a follow-up the system pushed counts only with the
rep's one-sentence strategy" (the brief: automation must not replace thinking). It lives in
the kernel because the API (``/v1/actions``) and the PHI's action closure (``phi/``) both
use it and may not import each other.

* **pushed**: every check-in carries one next action, due at ``due_at`` (UTC). The service
  pushes it to the rep (a reminder) once it is due soon or overdue: from
  ``due_at - push_lead`` on (:func:`pushed_at`; ``push_lead`` a policy value, default
  :data:`PUSH_LEAD`, 24 hours).
* **strategy required**: an action completed at or after its push time was pushed to the
  rep before it was done, so its completion needs a **strategy**: one sentence from the rep,
  "the core strategy for this follow-up" (:func:`requires_strategy`). One done earlier, before
  any reminder, needs none.
* **one sentence** (:func:`require_strategy_sentence`): stripped, non-empty, at most
  :data:`STRATEGY_MAX_LENGTH` characters, one line, and no sentence-ending punctuation
  (``. ! ?`` followed by a space, or ``。！？`` anywhere) before the final punctuation. A dot
  inside a word or number (``2.5%``, ``e.g.``) and after a title (``Dr.``, ``Mr.``) does
  not end a sentence.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pandas as pd

from visitproof.errors import InvalidValue
from visitproof.values import require_text, require_utc

PUSH_LEAD = timedelta(hours=24)
STRATEGY_MAX_LENGTH = 200
STRATEGY_REQUIRED = "STRATEGY_REQUIRED"
STRATEGY_NOT_ONE_SENTENCE = "STRATEGY_NOT_ONE_SENTENCE"
RULE = ("a next action is pushed to the rep from push_lead (default 24 h) before it is due; "
        "one completed at or after that needs a one-sentence strategy from the rep")

# Words after which "." is an abbreviation, not a sentence end (English titles and Latin).
_ABBREVIATIONS = frozenset({"dr", "mr", "mrs", "ms", "prof", "st", "no", "vs", "e.g", "i.e",
                            "approx", "dept", "tel"})
_TRAILING = ".!?。！？…\"'”’)）」』 \t"
_WORD = re.compile(r"\w")
_CJK_END = re.compile(r"[。！？]")
_ASCII_END = re.compile(r"(\S*?)([.!?]+)\s")


def pushed_at(due_at: datetime, lead: timedelta = PUSH_LEAD) -> datetime:
    """When the action due at ``due_at`` (tz-aware) is pushed to the rep: ``lead`` before."""
    return require_utc(due_at, "due_at") - _lead(lead)


def requires_strategy(due_at: datetime, completed_at: datetime,
                      lead: timedelta = PUSH_LEAD) -> bool:
    """Whether completing the action due at ``due_at`` at ``completed_at`` (both tz-aware)
    needs a strategy: it had been pushed by then (``completed_at >= pushed_at``)."""
    return require_utc(completed_at, "completed_at") >= pushed_at(due_at, lead)


def strategy_required_mask(due_at: pd.Series, completed_at: pd.Series,
                           lead: timedelta = PUSH_LEAD) -> pd.Series:
    """:func:`requires_strategy` per row of two aligned UTC timestamp columns; a missing
    completion (NaT) gives False."""
    return (completed_at.notna() & (completed_at >= due_at - _lead(lead))).astype(bool)


def require_strategy_sentence(value: str, field: str = "strategy") -> str:
    """``value`` stripped, when it is one sentence of at most :data:`STRATEGY_MAX_LENGTH`
    characters. Raises :class:`InvalidValue`: ``EMPTY_FIELD`` (blank), ``TOO_LONG``,
    ``STRATEGY_NOT_ONE_SENTENCE`` (a line break or a sentence end before the last one)."""
    text = require_text(value, field)
    if len(text) > STRATEGY_MAX_LENGTH:
        raise InvalidValue(field, f"is {len(text)} characters, at most "
                           f"{STRATEGY_MAX_LENGTH} allowed", code="TOO_LONG")
    if not _one_sentence(text):
        raise InvalidValue(field, "must be one sentence (the core strategy for this "
                           "follow-up): no line break, no sentence end before the last",
                           code=STRATEGY_NOT_ONE_SENTENCE)
    return text


def _one_sentence(text: str) -> bool:
    if "\n" in text or "\r" in text:
        return False
    body = text.rstrip(_TRAILING)
    if not _WORD.search(body) or _CJK_END.search(body):
        return False
    for match in _ASCII_END.finditer(body + " "):
        word, ending = match.group(1).lower(), match.group(2)
        if not (ending == "." and word in _ABBREVIATIONS):
            return False
    return True


def _lead(lead: timedelta) -> timedelta:
    if not isinstance(lead, timedelta) or lead < timedelta(0):
        raise InvalidValue("push_lead", f"must be a non-negative duration, got {lead!r}",
                           code="BAD_POLICY")
    return lead
