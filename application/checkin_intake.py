"""Taking in one uploaded check-in: idempotency, verification, one transaction.

    submission = intake.submit(upload, now=received_at)

1. The edge (:mod:`serving.checkin_upload`) turns the request into an :class:`Upload`: the
   domain record (422 on bad values; ``submitted_at`` is the server clock, never the
   phone's), the photo and the upload's fingerprint.
2. Idempotency: the fingerprint is the SHA-256 of the canonical meta JSON (times in
   UTC, keys sorted, without the per-attempt ``device_submitted_at``), the rep id and the
   photo's SHA-256. A check-in id already stored with
   the same fingerprint is answered from the store (the same verdict, byte for byte); with
   another fingerprint it is a 409 ``CHECKIN_ID_CONFLICT``. A concurrent twin that commits
   first is caught by the primary key and answered the same way.
3. The next action must fall due after the visit's departure (422 ``TIME_ORDER``) and
   within :data:`~visitproof.records.NEXT_ACTION_HORIZON` of it (``DUE_TOO_FAR``); the
   customer must exist in the tenant (422 ``UNKNOWN_CUSTOMER``); a photo that can't be
   decoded at all
   (empty, HEIC, truncated, a decompression bomb) is refused with its ``PHOTO_*`` code and
   nothing is stored, so the rep can retake it under the same check-in id.
4. Verification (:meth:`CheckinIntake.judge`): the shelf check
   (:func:`vision.shelf_verification.verify_shelf_photo`) plus exact photo re-use (same
   SHA-256, :mod:`vision.photo_reuse`) or, when it isn't an exact re-use, near-duplicate and
   stale-shelf checks (:mod:`vision.near_duplicates`); the fix check
   (:func:`geo.fix_integrity.check_checkin`) with the rep's earlier fixes as history and the
   photo's EXIF as evidence; with a rule set, the evidence check. Combined status:
   ``rejected`` if any check rejects, else ``needs_review`` if any asks, else ``verified``.
5. Storage: the photo is written to the photo store first (atomic, content-addressed), then
   the check-in, its verifications (``shelf`` with the model and golden-zone policy
   versions; ``fix`` with the fix policy version; ``evidence`` under a rule set) and the
   fingerprint in one transaction (with the link to the rep's visit note, when the upload
   names one: 422 ``VISIT_NOTE_NOT_FOUND``, 409 ``VISIT_NOTE_ALREADY_USED``). A failure
   after the photo is written leaves an orphan photo file, which is harmless (a row without
   its photo would not be).

Rules (:mod:`application.applied_rules`): the tenant's current rule set decides the featured
SKUs, the golden-zone policy and the extra evidence the customer's type needs (each missing
one is a ``MANDATORY_EVIDENCE_MISSING`` reason in a third verification, ``evidence``, which
asks for review). Every verification is stamped with the rule set's version
(``Verification.rules_version``, stored in ``verifications.rules_version``; the verdict shows
it). The current rule set is cached per tenant; one primary-key lookup per upload sees a
newer version. A tenant without rule set keeps the behaviour from before rules: every SKU
registered with reference photos is featured, the default golden zone, no evidence check,
two verifications, ``rules_version`` null.

Judging a stored check-in again (batch re-verification, :mod:`application.reverify`) goes
through :meth:`CheckinIntake.judge_stored`, the same code path as an upload minus storing.

The product gallery is cached per tenant and rebuilt when the products table changes. The
near-duplicate index is kept in this process's memory per tenant, loaded on the tenant's
first upload and topped up from the store before every check with the photos submitted since
(:class:`~application.tenant_photos.TenantPhotos`: a few seconds' overlap, and a few
minutes' every half minute, for slow commits), so uploads through other processes (Ray
replicas) are seen too. Two copies of a photo uploaded in the same instant, before either
is committed, can both pass the re-use checks: the first check-in is stored whole either
way, and batch re-verification catches the pair.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from application.applied_rules import AppliedRules, applied_rules
from application.evidence_archive import EvidenceArchive
from application.judgement import (
    Judgement,
    exif_evidence,
    judgement_of,
    shifted,
    stored_fixture_type,
)
from application.product_references import load_gallery
from application.rule_book import RuleBook
from application.rules import RuleSet
from application.tenant_photos import TenantPhotos
from application.visit_notes import already_used, require_usable
from geo.fix_integrity import PriorFix, check_checkin, with_later_reasons
from geo.fix_policy import FixIntegrityPolicy
from vision.detector import ShelfDetector
from vision.near_duplicates import NearDuplicatePolicy
from vision.photo_reuse import PhotoUse, build_index, photo_reuse_verdict
from vision.product_embedder import ProductEmbedder
from vision.product_gallery import ProductGallery
from vision.shelf_verification import (
    ShelfPolicies,
    ShelfVerdict,
    needs_retake,
    verify_shelf_photo,
    with_extra_reasons,
)
from visitproof.errors import CheckinIdConflict, InvalidValue, NotFound
from visitproof.records import Checkin, Customer, Product, Reason, require_due_in_reach
from visitproof.store import Database, PhotoStore, Store, VisitNotes


@dataclass(frozen=True, slots=True)
class IntakePolicies:
    """The rules an upload is judged by (a director's rules become these)."""

    shelf: ShelfPolicies = field(default_factory=ShelfPolicies)
    fix: FixIntegrityPolicy = field(default_factory=FixIntegrityPolicy)
    near_duplicates: NearDuplicatePolicy = field(default_factory=NearDuplicatePolicy)
    fix_history: timedelta = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Upload:
    """One upload as the edge mapped it: the check-in record (``submitted_at`` the server's
    clock), the photo's bytes, the fixture type the phone named (None: the rules' default)
    and the upload's idempotency fingerprint; ``visit_note_id``: the visit note the rep
    confirmed into it (:mod:`application.visit_notes`), linked in the same transaction."""

    checkin: Checkin
    photo: bytes = field(repr=False)
    fingerprint: str
    fixture_type: str | None = None
    visit_note_id: UUID | None = None  # the rep's visit note it was made from, if any


@dataclass(frozen=True, slots=True)
class Submission:
    """The stored check-in (with its verifications) and whether this upload created it
    (False: an identical retry, answered from the store)."""

    checkin: Checkin
    created: bool


class CheckinIntake:
    """Judges and stores uploads for every tenant; one per process, safe across threads."""

    def __init__(self, database: Database, photos: PhotoStore, detector: ShelfDetector,
                 policies: IntakePolicies | None = None,
                 embedder: ProductEmbedder | None = None,
                 archive: EvidenceArchive | None = None) -> None:
        self.database = database
        self.archive = archive  # the evidence archive an upload is recorded in, if any
        self.photos = photos
        self.detector = detector
        self.embedder = embedder
        self.policies = policies or IntakePolicies()
        self._lock = threading.Lock()
        self._galleries: dict[str, tuple[tuple[tuple[str, tuple[str, ...]], ...],
                                         ProductGallery]] = {}
        self._histories: dict[str, TenantPhotos] = {}
        self._rules: dict[str, RuleSet | None] = {}

    @property
    def model_version(self) -> str:
        return str(self.detector.model_version)

    def submit(self, upload: Upload, *, now: datetime) -> Submission:
        """Judge and store one upload, or answer a retry from the store (see the module
        docstring). ``now`` is the server clock at receipt (UTC)."""
        checkin, tenant_id = upload.checkin, upload.checkin.tenant_id
        with self.database.connect() as connection:
            store = Store(connection, tenant_id)
            replay = _replay(store, checkin.id, upload.fingerprint)
            if replay is not None:
                return replay
            require_due_in_reach(checkin, "meta.next_action.due_at")
            if upload.visit_note_id is not None:
                require_usable(VisitNotes(connection, tenant_id), upload.visit_note_id,
                               rep_id=checkin.rep_id, checkin_id=checkin.id)
            customer = store.reference.customer(checkin.customer_id)
            if customer is None:
                raise InvalidValue("meta.customer_id", f"no customer {checkin.customer_id!r} "
                                   "in this tenant", code="UNKNOWN_CUSTOMER")
            gallery = self._gallery(tenant_id, store.reference.products())
            applied = applied_rules(store.reference, checkin, customer,
                                    self.current_rules(connection, tenant_id),
                                    fixture_type=upload.fixture_type, gallery=gallery,
                                    default_zone=self.policies.shelf.golden_zone)
        shelf = self.judge_shelf(upload.photo, gallery, applied)
        if shelf.unreadable:  # not decodable: nothing to judge, nothing stored
            problem = shelf.reasons[0]
            raise InvalidValue("photo", problem.message, code=problem.code)
        self.photos.put(upload.photo, sha256=checkin.photo_sha256)
        try:
            with self.database.begin() as connection:
                stored = self._judge_and_store(Store(connection, tenant_id), checkin,
                                               customer, shelf, applied, upload.fingerprint,
                                               now)
                if upload.visit_note_id is not None and not VisitNotes(
                        connection, tenant_id).mark_used(upload.visit_note_id, checkin.id):
                    raise already_used(upload.visit_note_id)  # a concurrent check-in won
        except IntegrityError:
            with self.database.connect() as connection:
                replay = _replay(Store(connection, tenant_id), checkin.id,
                                 upload.fingerprint)
            if replay is None:
                raise
            return replay
        if self.archive is not None:  # after the commit; a failure is logged, never raised
            self.archive.record_quietly(self.database, stored)
        return Submission(checkin=stored, created=True)

    def current_rules(self, connection: Connection, tenant_id: str) -> RuleSet | None:
        """The tenant's newest rule set (None: it has none), cached until a newer version
        is stored (one primary-key lookup per call)."""
        book = RuleBook(connection, tenant_id)
        latest = book.latest_version()
        with self._lock:
            cached = self._rules.get(tenant_id)
        if latest is None or (cached is not None and cached.version == latest):
            return cached if latest is not None else None
        rules = book.get(latest)
        with self._lock:
            self._rules[tenant_id] = rules
        return rules

    def judge_shelf(self, photo: bytes, gallery: ProductGallery,
                    applied: AppliedRules) -> ShelfVerdict:
        """The shelf check of ``photo`` under ``applied`` (before any history reasons)."""
        return verify_shelf_photo(photo, detector=self.detector, gallery=gallery,
                                  featured=applied.featured,
                                  policies=replace(self.policies.shelf,
                                                   golden_zone=applied.golden_zone))

    def judge(self, store: Store, checkin: Checkin, customer: Customer,
              shelf: ShelfVerdict, applied: AppliedRules, *, received_at: datetime,
              judged_at: datetime, later_fix_reasons: Sequence[Reason] = ()) -> Judgement:
        """The full verdict of one check-in from its shelf verdict: photo history, the fix
        check (against the rep's fixes around it, the server clock ``received_at``), the
        evidence check under a rule set. ``judged_at`` stamps the verifications.
        ``later_fix_reasons``: what the rep's later fixes say of this one (re-verification
        looks ahead, :mod:`application.look_ahead`; an upload has none)."""
        shelf = with_extra_reasons(shelf, self._photo_history_reasons(store, checkin, shelf))
        fix_time = checkin.fix.fix_time
        # Only check-ins received before this one: an upload sees nothing else, and a
        # re-judged check-in must not be judged by what came after it.
        history = [PriorFix.of(stored) for stored in store.checkins.fix_history(
            rep_id=checkin.rep_id, departed_from=shifted(fix_time, -self.policies.fix_history),
            departed_until=shifted(fix_time, timedelta(days=1)), submitted_until=received_at,
            excluding=checkin.id)]
        fix = with_later_reasons(
            check_checkin(checkin, customer, history=history, policy=self.policies.fix,
                          now=received_at, exif=exif_evidence(shelf)), later_fix_reasons)
        return judgement_of(checkin, shelf, fix, applied, judged_at=judged_at)

    def judge_stored(self, store: Store, checkin: Checkin, photo: bytes,
                     rules: RuleSet | None, *, judged_at: datetime,
                     later_fix_reasons: Sequence[Reason] = ()) -> Judgement:
        """Judge a stored check-in again under ``rules`` with this intake's detector, as of
        its receipt (its ``submitted_at`` is the server clock of the fix check), plus what
        the rep's later fixes say of it (``later_fix_reasons``). The fixture type it was
        uploaded with is kept. Nothing is stored."""
        customer = store.reference.customer(checkin.customer_id)
        if customer is None:  # pragma: no cover - customers are never deleted
            raise NotFound(f"check-in {checkin.id}: no customer {checkin.customer_id!r}")
        gallery = self._gallery(store.tenant_id, store.reference.products())
        applied = applied_rules(store.reference, checkin, customer, rules,
                                fixture_type=stored_fixture_type(checkin), gallery=gallery,
                                default_zone=self.policies.shelf.golden_zone, strict=False)
        shelf = self.judge_shelf(photo, gallery, applied)
        return self.judge(store, checkin, customer, shelf, applied,
                          received_at=checkin.submitted_at, judged_at=judged_at,
                          later_fix_reasons=later_fix_reasons)

    def _judge_and_store(self, store: Store, checkin: Checkin, customer: Customer,
                         shelf: ShelfVerdict, applied: AppliedRules, fingerprint: str,
                         now: datetime) -> Checkin:
        judgement = self.judge(store, checkin, customer, shelf, applied,
                               received_at=now, judged_at=now)
        store.checkins.add(replace(checkin, status=judgement.status,
                                   photo_phash=judgement.photo_phash,
                                   verifications=judgement.verifications))
        store.checkins.set_upload_fingerprint(checkin.id, fingerprint)
        stored = store.checkins.get(checkin.id)
        if stored is None:  # pragma: no cover - just inserted in this transaction
            raise RuntimeError(f"check-in {checkin.id} vanished inside its own transaction")
        return stored

    def _photo_history_reasons(self, store: Store, checkin: Checkin,
                               shelf: ShelfVerdict) -> list[Reason]:
        """Exact re-use reasons; without one, near-duplicate and stale-shelf reasons (an
        exact copy is also a near one, and saying so twice helps nobody), except for a photo
        to retake: a blurred or dark photo's perceptual hash matches too much to mean
        anything (its quality reasons already reject it)."""
        earlier = [(c.photo_sha256, PhotoUse(checkin_id=str(c.id), customer_id=c.customer_id,
                                             submitted_at=c.submitted_at))
                   for c in store.checkins.with_photo(checkin.photo_sha256)]
        reuse = photo_reuse_verdict(str(checkin.id), checkin.photo_sha256,
                                    checkin.submitted_at, build_index(earlier))
        if reuse.reasons or shelf.perceptual_hash is None or needs_retake(shelf.reasons):
            return list(reuse.reasons)
        with self._lock:
            photos = self._histories.setdefault(store.tenant_id, TenantPhotos())
            photos.refresh(store.checkins)
            return photos.history.reasons_for(checkin_id=str(checkin.id),
                                              customer_id=checkin.customer_id,
                                              phash=shelf.perceptual_hash,
                                              submitted_at=checkin.submitted_at,
                                              policy=self.policies.near_duplicates)

    def _gallery(self, tenant_id: str, products: Sequence[Product]) -> ProductGallery:
        referenced = [p for p in products if p.reference_sha256]
        signature = tuple((p.sku, p.reference_sha256) for p in referenced)
        with self._lock:
            cached = self._galleries.get(tenant_id)
            if cached is None or cached[0] != signature:
                cached = (signature, load_gallery(referenced, self.photos, self.embedder))
                self._galleries[tenant_id] = cached
            return cached[1]


def _replay(store: Store, checkin_id: UUID, fingerprint: str) -> Submission | None:
    upload = store.checkins.upload_fingerprint(checkin_id)
    if upload is None:
        return None
    if upload.fingerprint != fingerprint:
        raise CheckinIdConflict(f"check-in {checkin_id} was already submitted with different "
                                "content; a new check-in needs a new id")
    stored = store.checkins.get(checkin_id)
    if stored is None:  # pragma: no cover - seen a moment ago in the same connection
        return None
    return Submission(checkin=stored, created=False)
