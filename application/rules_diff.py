"""What changed between two rule bodies, by JSON path: the keys added, removed and changed,
each with its old and new value, so a director reads "``golden_zones.cooler.min_share``:
0.5 → 0.6" instead of hunting through two JSON texts.

    rules_diff({"featured": [], "golden_zones": {"cooler": {"min_share": 0.5}}},
               {"featured": [], "golden_zones": {"cooler": {"min_share": 0.6}}})
    # (RuleChange("golden_zones.cooler.min_share", ChangeKind.CHANGED, 0.5, 0.6),)

Paths are the dotted paths the rules' own errors name (``featured.0.valid_until``): object
keys, and list positions counted from 0; a key that is empty or holds ``.``, ``[`` or ``]``
is written ``["like.this"]``. Objects are compared key by key and lists position by
position (inserting a rule in front of others shows every later position as changed, which
is what a director who reads rules by position sees). Anything else is a leaf: equal or
changed, where ``true`` and ``1`` differ although Python calls them equal.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ChangeKind(StrEnum):
    ADDED = "added"  # only in the new body
    REMOVED = "removed"  # only in the old body
    CHANGED = "changed"  # in both, different (a leaf, or one side an object and the other not)


@dataclass(frozen=True, slots=True)
class RuleChange:
    """One difference at ``path``. ``old`` is None for an added path and ``new`` for a
    removed one (a JSON null present on both sides is told apart by ``kind``)."""

    path: str
    kind: ChangeKind
    old: Any = None
    new: Any = None


def rules_diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[RuleChange, ...]:
    """The differences from ``old`` to ``new`` (two JSON-like rule bodies), depth first: the
    keys of ``old`` in their order, then the keys only ``new`` has. Empty when they are
    equal. Neither body is changed."""
    return tuple(_walk((), old, new))


def json_path(parts: Sequence[str | int]) -> str:
    """``("golden_zones", "cooler", "height_band_cm", 0)`` as
    ``golden_zones.cooler.height_band_cm.0`` (see the module docstring for odd keys)."""
    written = []
    for part in parts:
        if isinstance(part, int) or (part and not any(c in part for c in ".[]")):
            written.append(str(part))
        else:
            written.append(f"[{json.dumps(part, ensure_ascii=False)}]")
    return ".".join(written).replace(".[", "[")


def _walk(parts: tuple[str | int, ...], old: Any, new: Any) -> Iterator[RuleChange]:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in old:
            if key in new:
                yield from _walk((*parts, str(key)), old[key], new[key])
            else:
                yield RuleChange(json_path((*parts, str(key))), ChangeKind.REMOVED,
                                 old=old[key])
        for key in new:
            if key not in old:
                yield RuleChange(json_path((*parts, str(key))), ChangeKind.ADDED,
                                 new=new[key])
    elif _is_list(old) and _is_list(new):
        for index in range(max(len(old), len(new))):
            if index >= len(new):
                yield RuleChange(json_path((*parts, index)), ChangeKind.REMOVED,
                                 old=old[index])
            elif index >= len(old):
                yield RuleChange(json_path((*parts, index)), ChangeKind.ADDED,
                                 new=new[index])
            else:
                yield from _walk((*parts, index), old[index], new[index])
    elif not _same(old, new):
        yield RuleChange(json_path(parts), ChangeKind.CHANGED, old=old, new=new)


def _is_list(value: Any) -> bool:
    return isinstance(value, list | tuple)


def _same(old: Any, new: Any) -> bool:
    # JSON tells true from 1 (and an object from a list); Python's == does not.
    return isinstance(old, bool) == isinstance(new, bool) and \
        isinstance(old, Mapping) == isinstance(new, Mapping) and \
        _is_list(old) == _is_list(new) and bool(old == new)
