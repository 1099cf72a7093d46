"""The reference data of one tenant: the tenant itself, its teams, territories, reps,
customers (with their assigned reps) and products.

``put_*`` upserts by key: re-importing a corrected customer list updates it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa

from visitproof.errors import NotFound
from visitproof.records import Customer, Product, Rep, Team, Tenant, Territory
from visitproof.store import rows, tables
from visitproof.store.queries import TenantScope, chunks

#: The tables whose ids :meth:`ReferenceData.ids` lists, by name.
_ID_TABLES = {table.name: table for table in (tables.reps, tables.customers, tables.teams,
                                              tables.territories, tables.contacts,
                                              tables.leads)}


class ReferenceData(TenantScope):
    """Tenant, teams, territories, reps, customers and products of one tenant."""

    # -- the tenant ----------------------------------------------------------------------

    def put_tenant(self, tenant: Tenant) -> None:
        self._require_own(tenant.id)
        self._upsert(tables.tenants, ("id",), [rows.tenant_row(tenant)])

    def tenant(self) -> Tenant | None:
        row = self.connection.execute(
            sa.select(tables.tenants).where(tables.tenants.c.id == self.tenant_id)
        ).mappings().first()
        return rows.tenant_from(row) if row is not None else None

    def require_tenant(self) -> Tenant:
        """This store's tenant; :class:`NotFound` (``TENANT_NOT_FOUND``) if the store has no
        such tenant, saying how to create it."""
        tenant = self.tenant()
        if tenant is None:
            raise NotFound(f"tenant {self.tenant_id!r} is not in the store; run `visitproof "
                           f"init --tenant {self.tenant_id}` or pass another --tenant",
                           code="TENANT_NOT_FOUND")
        return tenant

    # -- writing -------------------------------------------------------------------------

    def put_teams(self, teams: Iterable[Team]) -> int:
        return self._put(tables.teams, ("tenant_id", "id"), teams, rows.team_row)

    def put_territories(self, territories: Iterable[Territory]) -> int:
        return self._put(tables.territories, ("tenant_id", "id"), territories,
                         rows.territory_row)

    def put_reps(self, reps: Iterable[Rep]) -> int:
        return self._put(tables.reps, ("tenant_id", "id"), reps, rows.rep_row)

    def put_customers(self, customers: Iterable[Customer]) -> int:
        """Upsert customers and replace their assigned reps (in the order given)."""
        batch = list(customers)
        count = self._put(tables.customers, ("tenant_id", "id"), batch, rows.customer_row)
        link = tables.customer_reps
        for chunk in chunks([customer.id for customer in batch], 500):
            self.connection.execute(sa.delete(link).where(
                link.c.tenant_id == self.tenant_id, link.c.customer_id.in_(chunk)))
        link_rows = [row for customer in batch for row in rows.customer_rep_rows(customer)]
        if link_rows:
            self.connection.execute(sa.insert(link), link_rows)
        return count

    def put_products(self, products: Iterable[Product]) -> int:
        return self._put(tables.products, ("tenant_id", "sku"), products, rows.product_row)

    # -- reading -------------------------------------------------------------------------

    def teams(self) -> list[Team]:
        return [rows.team_from(r) for r in self._rows(tables.teams, tables.teams.c.id)]

    def territories(self) -> list[Territory]:
        return [rows.territory_from(r)
                for r in self._rows(tables.territories, tables.territories.c.id)]

    def reps(self) -> list[Rep]:
        return [rows.rep_from(r) for r in self._rows(tables.reps, tables.reps.c.id)]

    def customers(self) -> list[Customer]:
        link = tables.customer_reps
        assigned: dict[str, list[str]] = defaultdict(list)
        for row in self.connection.execute(
            sa.select(link.c.customer_id, link.c.rep_id)
            .where(link.c.tenant_id == self.tenant_id)
            .order_by(link.c.customer_id, link.c.position)
        ):
            assigned[row.customer_id].append(row.rep_id)
        return [rows.customer_from(r, tuple(assigned.get(r["id"], ())))
                for r in self._rows(tables.customers, tables.customers.c.id)]

    def customer(self, customer_id: str) -> Customer | None:
        """One customer by id (with its assigned reps), or None."""
        row = self._one(tables.customers, tables.customers.c.id == customer_id)
        if row is None:
            return None
        link = tables.customer_reps.c
        assigned = self.connection.execute(
            sa.select(link.rep_id).where(link.tenant_id == self.tenant_id,
                                         link.customer_id == customer_id)
            .order_by(link.position)).scalars()
        return rows.customer_from(row, tuple(assigned))

    def products(self) -> list[Product]:
        return [rows.product_from(r) for r in self._rows(tables.products, tables.products.c.sku)]

    def rep_region(self, rep_id: str) -> str | None:
        """The region of the rep's team (``teams.region``): what featured rules key on.
        None for a rep without team or a team without region."""
        r, t = tables.reps.c, tables.teams.c
        region: str | None = self.connection.execute(
            sa.select(t.region).select_from(tables.reps.join(
                tables.teams, sa.and_(t.tenant_id == r.tenant_id, t.id == r.team_id)))
            .where(r.tenant_id == self.tenant_id, r.id == rep_id)).scalar_one_or_none()
        return region

    def ids(self, kind: str) -> set[str]:
        """Every id of this tenant in the table named ``kind`` (``reps``, ``customers``,
        ``teams``, ``territories``, ``contacts``, ``leads``): one column, cheap."""
        table = _ID_TABLES[kind]
        return set(self.connection.execute(
            sa.select(table.c.id).where(table.c.tenant_id == self.tenant_id)).scalars())
