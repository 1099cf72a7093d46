"""Shared validation helpers of the record modules (private to :mod:`visitproof.records`)."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, TypeVar

from shapely.geometry.base import BaseGeometry

from visitproof.errors import InvalidValue
from visitproof.values import require_identifier, require_text, require_utc

_E = TypeVar("_E", bound=StrEnum)


def require_ids(record: object, *names: str) -> None:
    for name in names:
        require_identifier(getattr(record, name), name)


def optional_ids(record: object, *names: str) -> None:
    for name in names:
        value = getattr(record, name)
        if value is not None:
            require_identifier(value, name)


def optional_utc(record: object, *names: str) -> None:
    for name in names:
        value = getattr(record, name)
        if value is not None:
            object.__setattr__(record, name, require_utc(value, name))


def normalise(record: object, **rules: Callable[[Any, str], Any]) -> None:
    """Replace each named field of a frozen record by ``rule(value, name)``: the checked,
    normalised value (a rule raises :class:`InvalidValue` naming the field)."""
    for name, rule in rules.items():
        object.__setattr__(record, name, rule(getattr(record, name), name))


def short_text(value: str, field_name: str) -> str:
    """A name or label: trimmed, non-empty, at most 200 characters."""
    return require_text(value, field_name, max_length=200)


def one_of(kind: type[_E]) -> Callable[[object, str], _E]:
    """The rule for a field holding a member of ``kind`` (given as the member or its value)."""
    return lambda value, field_name: enum_member(kind, value, field_name)


def enum_member(kind: type[_E], value: object, field_name: str) -> _E:
    if isinstance(value, kind):
        return value
    try:
        return kind(str(value)) if isinstance(value, str) else kind(value)  # type: ignore[arg-type]
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InvalidValue(field_name, f"unknown value {value!r}; expected one of: {allowed}",
                           code="UNKNOWN_ENUM_VALUE") from None


def require_areal(geometry: BaseGeometry, field_name: str) -> None:
    if not isinstance(geometry, BaseGeometry) or geometry.geom_type not in (
            "Polygon", "MultiPolygon"):
        raise InvalidValue(field_name, "must be a Polygon or MultiPolygon",
                           code="BAD_GEOMETRY")
    if geometry.is_empty or not geometry.is_valid:
        raise InvalidValue(field_name, "polygon is empty or self-intersecting",
                           code="BAD_GEOMETRY")
    minx, miny, maxx, maxy = geometry.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise InvalidValue(field_name, "coordinates must be lon/lat degrees (EPSG:4326)",
                           code="BAD_GEOMETRY")
