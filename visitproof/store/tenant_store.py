"""One tenant's records over one open connection, by aggregate.

    with database.begin() as connection:
        store = Store(connection, tenant_id="acme")
        store.reference.put_customers(customers)
        store.checkins.add(checkin)

A caller that needs one aggregate may build just that one (``Checkins(connection,
"acme")``); :class:`Store` holds the three over the same connection and tenant.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from visitproof.store.checkins import Checkins
from visitproof.store.crm import Crm
from visitproof.store.reference import ReferenceData


class Store:
    """The aggregates of one tenant over one open connection (the caller owns the
    transaction): ``reference`` (tenant, teams, territories, reps, customers, products),
    ``checkins`` (check-ins, verifications, upload fingerprints, photo hashes) and ``crm``
    (leads, touches, contacts, action outcomes)."""

    def __init__(self, connection: Connection, tenant_id: str) -> None:
        self.connection = connection
        self.tenant_id = tenant_id
        self.reference = ReferenceData(connection, tenant_id)
        self.checkins = Checkins(connection, tenant_id)
        self.crm = Crm(connection, tenant_id)
