"""What every aggregate of the store shares: the tenant scope over one open connection, the
one builder of list queries' WHERE clauses, counted pages and keyed upserts.

Every query here is within one tenant: :class:`TenantScope` refuses a record of another
tenant (``TENANT_MISMATCH``) and :class:`Where` starts from ``tenant_id = ...``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from visitproof.errors import InvalidValue

_R = TypeVar("_R")
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Page(Generic[_T]):
    """One page of a list query: its ``items`` in the query's order and ``count``, the
    number matching over all pages."""

    items: tuple[_T, ...]
    count: int


class Where:
    """The conditions of one list query over ``table``, always within one tenant.

    Each method adds one condition when its value is given (None: no condition) and returns
    the builder, so a query reads ``Where(t, tenant).among(t.c.rep_id, reps).equals(...)``.
    """

    def __init__(self, table: sa.Table, tenant_id: str) -> None:
        self.conditions: list[sa.ColumnElement[bool]] = [table.c.tenant_id == tenant_id]

    def equals(self, column: sa.ColumnElement[Any], value: object) -> Where:
        """``column = value`` (an enum compares by its string value)."""
        if value is not None:
            self.conditions.append(column == (value.value if isinstance(value, StrEnum)
                                              else value))
        return self

    def among(self, column: sa.ColumnElement[Any], values: Iterable[Any] | None) -> Where:
        """``column IN values``; an empty collection matches nothing."""
        if values is not None:
            self.conditions.append(column.in_(list(values)))
        return self

    def within(self, column: sa.ColumnElement[Any], start: datetime | None,
               end: datetime | None) -> Where:
        """``start <= column < end`` (UTC; either end may be open)."""
        if start is not None:
            self.conditions.append(column >= start)
        if end is not None:
            self.conditions.append(column < end)
        return self

    def present(self, column: sa.ColumnElement[Any], present: bool | None) -> Where:
        """``column IS NOT NULL`` (True) or ``IS NULL`` (False)."""
        if present is not None:
            self.conditions.append(column.is_not(None) if present else column.is_(None))
        return self

    def also(self, condition: sa.ColumnElement[bool] | None) -> Where:
        """Any other condition."""
        if condition is not None:
            self.conditions.append(condition)
        return self


class TenantScope:
    """Record access for one tenant over one open connection (the caller owns the
    transaction). The base of each aggregate of the store."""

    def __init__(self, connection: Connection, tenant_id: str) -> None:
        self.connection = connection
        self.tenant_id = tenant_id

    def _where(self, table: sa.Table) -> Where:
        return Where(table, self.tenant_id)

    def _listed(self, columns: Sequence[Any], source: sa.FromClause, where: Where,
                order: Sequence[sa.ColumnElement[Any]], *, limit: int | None = None,
                offset: int = 0) -> list[RowMapping]:
        """The rows of ``columns`` from ``source`` matching ``where``, in ``order``, from
        ``offset`` on (at most ``limit``; None: all)."""
        query = (sa.select(*columns).select_from(source).where(*where.conditions)
                 .order_by(*order).offset(offset))
        if limit is not None:
            query = query.limit(limit)
        return list(self.connection.execute(query).mappings())

    def _counted(self, columns: Sequence[Any], source: sa.FromClause, where: Where,
                 order: Sequence[sa.ColumnElement[Any]], *, limit: int,
                 offset: int) -> tuple[list[RowMapping], int]:
        """One page of :meth:`_listed` and how many rows match in all."""
        count: int = self.connection.execute(
            sa.select(sa.func.count()).select_from(source).where(*where.conditions)
        ).scalar_one()
        return self._listed(columns, source, where, order, limit=limit, offset=offset), count

    def _one(self, table: sa.Table, *conditions: sa.ColumnElement[bool]) -> RowMapping | None:
        """This tenant's row of ``table`` matching ``conditions`` (None: no such row)."""
        return self.connection.execute(
            sa.select(table).where(table.c.tenant_id == self.tenant_id, *conditions)
        ).mappings().first()

    def _rows(self, table: sa.Table, order: sa.ColumnElement[Any]) -> list[RowMapping]:
        return list(self.connection.execute(
            sa.select(table).where(table.c.tenant_id == self.tenant_id).order_by(order)
        ).mappings())

    def _require_own(self, tenant_id: str) -> None:
        if tenant_id != self.tenant_id:
            raise InvalidValue("tenant_id", f"record belongs to tenant {tenant_id!r}, this "
                               f"store serves {self.tenant_id!r}", code="TENANT_MISMATCH")

    def _put(self, table: sa.Table, keys: tuple[str, ...], records: Iterable[_R],
             to_row: Callable[[_R], dict[str, Any]]) -> int:
        batch = [to_row(record) for record in records]
        for row in batch:
            self._require_own(row["tenant_id"])
        self._upsert(table, keys, batch)
        return len(batch)

    def _upsert(self, table: sa.Table, keys: tuple[str, ...],
                batch: list[dict[str, Any]]) -> None:
        """Insert the rows whose key is new, update the others (portable: no dialect
        upsert)."""
        if not batch:
            return
        existing = self._existing_keys(table, keys, batch)
        inserts = [row for row in batch if tuple(row[k] for k in keys) not in existing]
        updates = [row for row in batch if tuple(row[k] for k in keys) in existing]
        if inserts:
            self.connection.execute(sa.insert(table), inserts)
        if updates:
            condition = sa.and_(*(table.c[k] == sa.bindparam(f"key_{k}") for k in keys))
            values: dict[str, Any] = {name: sa.bindparam(name) for name in updates[0]
                                      if name not in keys}
            statement = sa.update(table).where(condition).values(values)
            self.connection.execute(
                statement, [{**{f"key_{k}": row[k] for k in keys},
                             **{n: v for n, v in row.items() if n not in keys}}
                            for row in updates])

    def _existing_keys(self, table: sa.Table, keys: tuple[str, ...],
                       batch: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
        last = keys[-1]
        found: set[tuple[Any, ...]] = set()
        for chunk in chunks(sorted({row[last] for row in batch}), 500):
            query = sa.select(*(table.c[k] for k in keys)).where(table.c[last].in_(chunk))
            if "tenant_id" in keys:
                query = query.where(table.c.tenant_id == self.tenant_id)
            found.update(tuple(row) for row in self.connection.execute(query))
        return found


def chunks(items: list[_R], size: int) -> Iterable[list[_R]]:
    """``items`` in consecutive slices of at most ``size`` (SQL parameter limits)."""
    for start in range(0, len(items), size):
        yield items[start:start + size]
