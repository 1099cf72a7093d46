"""``/v1/contacts``: a customer's decision makers, within the caller's scope.

A customer is in scope for a rep assigned to it, for the manager of any of its assigned
reps, and for a director or admin (every customer of the tenant). Within scope anyone may
read the contacts and create or update them: reps meet the decision makers and know their
roles first, and customer penetration (distinct roles touched, a PHI component) is only as
good as this list. A customer out of scope is answered like one that does not exist.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy.exc import IntegrityError

from serving.auth import CurrentUser, User, visible_rep_ids
from serving.errors import ContactIdConflict, error_responses
from serving.query_params import Offset
from serving.runtime import Runtime, RuntimeDep
from serving.schemas_crm import ContactPublic, ContactPut, ContactsPublic
from visitproof.errors import InvalidValue, NotFound
from visitproof.records import Contact, Customer, DecisionRole
from visitproof.store import ReferenceData, Store

router = APIRouter(prefix="/v1/contacts", tags=["contacts"])


_DESCRIBED = {
    404: "No such customer in the caller's scope (NOT_FOUND).",
    409: "The contact id belongs to another customer's contact (CONTACT_ID_CONFLICT).",
    422: "Invalid input; `code` says what: MISSING_FIELD, EMPTY_FIELD, UNKNOWN_ENUM_VALUE, "
         "BAD_IDENTIFIER, UNKNOWN_CUSTOMER, TOO_LONG, ...",
}
_errors = partial(error_responses, _DESCRIBED)


@router.get("", response_model=ContactsPublic, responses=_errors(401, 404, 422, 503))
def list_contacts(
    user: CurrentUser,
    runtime: RuntimeDep,
    customer_id: Annotated[str | None, Query(
        description="Only this customer's contacts (404 when it is not in scope).")] = None,
    role: DecisionRole | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> ContactsPublic:
    """Contacts of the customers the caller may see, by customer then name."""
    with runtime.database.connect() as connection:
        store = Store(connection, user.tenant_id)
        visible = visible_rep_ids(user, store.reference)
        if customer_id is not None and _visible_customer(customer_id, visible,
                                                         store.reference) is None:
            raise NotFound(f"no customer {customer_id!r}")
        page = store.crm.contacts_page(
            rep_ids=None if visible is None else sorted(visible), customer_id=customer_id,
            role=role, limit=limit, offset=offset)
    return ContactsPublic(data=[ContactPublic.of(contact) for contact in page.items],
                          count=page.count)


@router.post(
    "", status_code=201, response_model=ContactPublic,
    summary="Create or update a customer's contact",
    responses={200: {"model": ContactPublic,
                     "description": "The contact existed: it is updated (or unchanged)."},
               **_errors(401, 409, 422, 503)},
)
def put_contact(body: ContactPut, user: CurrentUser, runtime: RuntimeDep,
                response: Response) -> ContactPublic:
    """Create the contact (201) or update its name and role under the same id (200). The
    customer must be in the caller's scope (422 ``UNKNOWN_CUSTOMER`` otherwise, like one
    that does not exist); a contact never moves to another customer (409
    ``CONTACT_ID_CONFLICT``)."""
    contact = Contact(tenant_id=user.tenant_id, id=body.id, customer_id=body.customer_id,
                      name=body.name, role=body.role)
    try:
        existed = _store_contact(contact, user, runtime)
    except IntegrityError:  # a concurrent twin inserted it first: now it is an update
        existed = _store_contact(contact, user, runtime)
    if existed:
        response.status_code = 200
    return ContactPublic.of(contact)


def _store_contact(contact: Contact, user: User, runtime: Runtime) -> bool:
    """Insert or update ``contact`` in one transaction; whether it existed before."""
    with runtime.database.begin() as connection:
        store = Store(connection, user.tenant_id)
        _require_customer(contact.customer_id, user, store.reference)
        stored = store.crm.contact(contact.id)
        if stored is not None and stored.customer_id != contact.customer_id:
            raise ContactIdConflict(f"contact id {contact.id!r} is already used for another "
                                    "customer; send a new id for a new contact")
        store.crm.put_contacts([contact])
    return stored is not None


def _require_customer(customer_id: str, user: User, reference: ReferenceData) -> Customer:
    customer = _visible_customer(customer_id, visible_rep_ids(user, reference), reference)
    if customer is None:
        raise InvalidValue("customer_id", f"no customer {customer_id!r} among your customers",
                           code="UNKNOWN_CUSTOMER")
    return customer


def _visible_customer(customer_id: str, visible: frozenset[str] | None,
                      reference: ReferenceData) -> Customer | None:
    """The customer, if it exists and one of its assigned reps is visible (None: all are)."""
    customer = reference.customer(customer_id)
    if customer is None or (visible is not None
                            and not visible.intersection(customer.assigned_rep_ids)):
        return None
    return customer
