"""Taking in one uploaded check-in: idempotency, verification, one transaction.

    submission = intake.submit(tenant_id=..., rep_id=..., meta=meta, photo=data, ...)

1. The meta becomes a :class:`~visitproof.records.Checkin` (domain validation; 422 on bad
   values). ``submitted_at`` is the server clock, never the phone's.
2. Idempotency: the upload's fingerprint is the SHA-256 of the canonical meta JSON (times in
   UTC, keys sorted, without the per-attempt ``device_submitted_at``), the rep id and the
   photo's SHA-256. A check-in id already stored with
   the same fingerprint is answered from the store (the same verdict, byte for byte); with
   another fingerprint it is a 409 ``CHECKIN_ID_CONFLICT``. A concurrent twin that commits
   first is caught by the primary key and answered the same way.
3. The customer must exist in the tenant (422 ``UNKNOWN_CUSTOMER``); the photo's declared type
   must match its bytes (422 ``PHOTO_TYPE_MISMATCH``); a photo that can't be decoded at all
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
   fingerprint in one transaction. A failure after the photo is written leaves an orphan
   photo file, which is harmless (a row without its photo would not be).

Rules (:mod:`visitproof.rules`): the tenant's current rule set decides the featured SKUs
(those of the rep's team region on the visit's local date), the golden-zone policy (by the
upload's ``fixture_type``, else the rules' default; an unknown type is 422
``UNKNOWN_FIXTURE_TYPE``) and the extra evidence the customer's type needs (each missing one
is a ``MANDATORY_EVIDENCE_MISSING`` reason in a third verification, ``evidence``, which asks
for review). Every verification is stamped with the rule set's version
(``verifications.rules_version``, and ``rules_version`` in its details so the verdict shows
it). The current rule set is cached per tenant; one primary-key lookup per upload sees a
newer version. A tenant without rule set keeps the behaviour from before rules: every SKU
registered with reference photos is featured, the default golden zone, no evidence check,
two verifications, ``rules_version`` null.

Judging a stored check-in again (batch re-verification, :mod:`serving.reverify`) goes
through :meth:`CheckinIntake.judge_stored`, the same code path as an upload minus storing.

The product gallery is cached per tenant and rebuilt when the products table changes. The
near-duplicate index is kept in this process's memory per tenant, loaded on the tenant's
first upload and topped up from the store before every check with the photos submitted since
(:class:`TenantPhotos`: a few seconds' overlap, and a few minutes' every half minute, for
slow commits), so uploads through other processes (Ray replicas) are seen too. Two copies of
a photo uploaded in the same instant, before either is committed, can both pass the re-use
checks: the first check-in is stored whole either way, and batch re-verification catches
the pair.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from geo.fix_integrity import ExifEvidence, PriorFix, check_checkin
from geo.fix_policy import FixIntegrityPolicy
from serving.errors import CheckinIdConflict
from serving.schemas import CheckinMeta
from vision.detector import ShelfDetector
from vision.golden_zone import GoldenZonePolicy
from vision.near_duplicates import HashedPhotoUse, NearDuplicatePolicy, PhotoHistory
from vision.photo_reuse import PhotoUse, build_index, photo_reuse_verdict
from vision.product_embedder import ProductEmbedder
from vision.product_gallery import ProductGallery
from vision.shelf_verification import (
    ShelfPolicies,
    ShelfVerdict,
    verify_shelf_photo,
    with_extra_reasons,
)
from visitproof.errors import InvalidValue, NotFound
from visitproof.product_references import load_gallery
from visitproof.records import (
    Checkin,
    CheckinStatus,
    Commitment,
    Customer,
    GpsFix,
    NextAction,
    Product,
    Reason,
    Verification,
)
from visitproof.rules import RuleSet
from visitproof.store import Database, PhotoStore, Repository
from visitproof.store.rule_sets import RuleSets, rep_region


@dataclass(frozen=True, slots=True)
class IntakePolicies:
    """The rules an upload is judged by (a director's rules become these)."""

    shelf: ShelfPolicies = field(default_factory=ShelfPolicies)
    fix: FixIntegrityPolicy = field(default_factory=FixIntegrityPolicy)
    near_duplicates: NearDuplicatePolicy = field(default_factory=NearDuplicatePolicy)
    fix_history: timedelta = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Submission:
    """The stored check-in (with its verifications) and whether this upload created it
    (False: an identical retry, answered from the store)."""

    checkin: Checkin
    created: bool


@dataclass(frozen=True, slots=True)
class AppliedRules:
    """What the rules (or their absence, ``version`` None) say for one check-in: the
    featured SKUs, the golden-zone policy, the fixture type the upload asked for, and the
    mandatory evidence it lacks."""

    version: int | None
    featured: tuple[str, ...]
    golden_zone: GoldenZonePolicy
    fixture_type: str | None = None
    missing_evidence: tuple[Reason, ...] = ()
    required_evidence: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Judgement:
    """A check-in's verdict: its combined status, its photo's perceptual hash and the
    verifications to append, all stamped with ``rules_version``. Nothing stored yet."""

    status: CheckinStatus
    photo_phash: int | None
    verifications: tuple[Verification, ...]
    rules_version: int | None


class CheckinIntake:
    """Judges and stores uploads for every tenant; one per process, safe across threads."""

    def __init__(self, database: Database, photos: PhotoStore, detector: ShelfDetector,
                 policies: IntakePolicies | None = None,
                 embedder: ProductEmbedder | None = None) -> None:
        self.database = database
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

    def submit(self, *, tenant_id: str, rep_id: str, meta: CheckinMeta, photo: bytes,
               filename: str | None, content_type: str | None, now: datetime) -> Submission:
        """Judge and store one upload, or answer a retry from the store (see the module
        docstring). ``now`` is the server clock at receipt (UTC)."""
        require_declared_format(photo, filename, content_type)
        photo_sha256 = hashlib.sha256(photo).hexdigest()
        fingerprint = upload_fingerprint(rep_id, meta, photo_sha256)
        checkin = checkin_from_meta(meta, tenant_id=tenant_id, rep_id=rep_id,
                                    submitted_at=now, photo_sha256=photo_sha256)
        with self.database.connect() as connection:
            repository = Repository(connection, tenant_id)
            replay = _replay(repository, checkin.id, fingerprint)
            if replay is not None:
                return replay
            customer = repository.customer(checkin.customer_id)
            if customer is None:
                raise InvalidValue("meta.customer_id", f"no customer {checkin.customer_id!r} "
                                   "in this tenant", code="UNKNOWN_CUSTOMER")
            gallery = self._gallery(tenant_id, repository.products())
            applied = self.applied_rules(repository, checkin, customer,
                                         self.current_rules(connection, tenant_id),
                                         fixture_type=meta.fixture_type, gallery=gallery)
        shelf = self.judge_shelf(photo, gallery, applied)
        if shelf.image_size is None:  # not decodable: nothing to judge, nothing stored
            problem = shelf.reasons[0]
            raise InvalidValue("photo", problem.message, code=problem.code)
        self.photos.put(photo, sha256=photo_sha256)
        try:
            with self.database.begin() as connection:
                stored = self._judge_and_store(Repository(connection, tenant_id), checkin,
                                               customer, shelf, applied, fingerprint, now)
        except IntegrityError:
            with self.database.connect() as connection:
                replay = _replay(Repository(connection, tenant_id), checkin.id, fingerprint)
            if replay is None:
                raise
            return replay
        return Submission(checkin=stored, created=True)

    def current_rules(self, connection: Connection, tenant_id: str) -> RuleSet | None:
        """The tenant's newest rule set (None: it has none), cached until a newer version
        is stored (one primary-key lookup per call)."""
        rule_sets = RuleSets(connection, tenant_id)
        latest = rule_sets.latest_version()
        with self._lock:
            cached = self._rules.get(tenant_id)
        if latest is None or (cached is not None and cached.version == latest):
            return cached if latest is not None else None
        rules = rule_sets.get(latest)
        with self._lock:
            self._rules[tenant_id] = rules
        return rules

    def applied_rules(self, repository: Repository, checkin: Checkin, customer: Customer,
                      rules: RuleSet | None, *, fixture_type: str | None,
                      gallery: ProductGallery, strict: bool = True) -> AppliedRules:
        """What ``rules`` say for ``checkin`` (see the module docstring). Without rules:
        every SKU of the gallery featured, the intake's golden zone. ``strict`` False (a
        re-judged check-in whose fixture type the chosen rules don't know) falls back to the
        rules' default fixture type instead of raising ``UNKNOWN_FIXTURE_TYPE``."""
        if rules is None:
            return AppliedRules(version=None, featured=tuple(sorted(gallery.skus)),
                                golden_zone=self.policies.shelf.golden_zone,
                                fixture_type=fixture_type)
        tenant = repository.require_tenant()
        try:
            day = checkin.departed_at.astimezone(ZoneInfo(tenant.timezone)).date()
        except OverflowError:  # year 1 or 9999: the fix check says what is wrong with it
            day = checkin.departed_at.date()
        region = rep_region(repository.connection, repository.tenant_id, checkin.rep_id)
        known = fixture_type if strict or fixture_type in rules.golden_zones else None
        return AppliedRules(
            version=rules.version, featured=rules.featured_skus(region, day),
            golden_zone=rules.golden_zone(known), fixture_type=fixture_type,
            missing_evidence=tuple(rules.missing_evidence(checkin, customer.type)),
            required_evidence=tuple(e.value for e in rules.evidence.get(customer.type, ())))

    def judge_shelf(self, photo: bytes, gallery: ProductGallery,
                    applied: AppliedRules) -> ShelfVerdict:
        """The shelf check of ``photo`` under ``applied`` (before any history reasons)."""
        return verify_shelf_photo(photo, detector=self.detector, gallery=gallery,
                                  featured=applied.featured,
                                  policies=replace(self.policies.shelf,
                                                   golden_zone=applied.golden_zone))

    def judge(self, repository: Repository, checkin: Checkin, customer: Customer,
              shelf: ShelfVerdict, applied: AppliedRules, *, received_at: datetime,
              judged_at: datetime) -> Judgement:
        """The full verdict of one check-in from its shelf verdict: photo history, the fix
        check (against the rep's fixes around it, the server clock ``received_at``), the
        evidence check under a rule set. ``judged_at`` stamps the verifications."""
        shelf = with_extra_reasons(shelf, self._photo_history_reasons(repository, checkin,
                                                                      shelf))
        fix_time = checkin.fix.fix_time
        # Only check-ins received before this one: an upload sees nothing else, and a
        # re-judged check-in must not be judged by what came after it.
        history = [PriorFix.of(stored) for stored in repository.fix_history(
            rep_id=checkin.rep_id, departed_from=_shifted(fix_time, -self.policies.fix_history),
            departed_until=_shifted(fix_time, timedelta(days=1)), submitted_until=received_at,
            excluding=checkin.id)]
        fix = check_checkin(checkin, customer, history=history, policy=self.policies.fix,
                            now=received_at, exif=_exif_evidence(shelf))
        stamp = {"rules_version": applied.version}
        shelf_check = Verification(
            checkin_id=checkin.id, checker="shelf", status=shelf.status, reasons=shelf.reasons,
            model_version=shelf.model_version,
            policy_version=shelf.policy_version or applied.golden_zone.version,
            verified_at=judged_at,
            details={**shelf.as_json(), **stamp, "fixture_type": applied.fixture_type})
        fix_check = fix.to_verification(checkin.id, judged_at)
        checks = [shelf_check, replace(fix_check, details={**fix_check.details, **stamp})]
        if applied.version is not None:
            checks.append(Verification(
                checkin_id=checkin.id, checker="evidence",
                status=(CheckinStatus.NEEDS_REVIEW if applied.missing_evidence
                        else CheckinStatus.VERIFIED),
                reasons=applied.missing_evidence, model_version=None,
                policy_version=f"rules-{applied.version}", verified_at=judged_at,
                details={**stamp, "required": list(applied.required_evidence)}))
        return Judgement(status=combined_status(*(check.status for check in checks)),
                         photo_phash=shelf.perceptual_hash, verifications=tuple(checks),
                         rules_version=applied.version)

    def judge_stored(self, repository: Repository, checkin: Checkin, photo: bytes,
                     rules: RuleSet | None, *, judged_at: datetime) -> Judgement:
        """Judge a stored check-in again under ``rules`` with this intake's detector, as of
        its receipt (its ``submitted_at`` is the server clock of the fix check). The
        fixture type it was uploaded with is kept. Nothing is stored."""
        customer = repository.customer(checkin.customer_id)
        if customer is None:  # pragma: no cover - customers are never deleted
            raise NotFound(f"check-in {checkin.id}: no customer {checkin.customer_id!r}")
        gallery = self._gallery(repository.tenant_id, repository.products())
        applied = self.applied_rules(repository, checkin, customer, rules,
                                     fixture_type=stored_fixture_type(checkin),
                                     gallery=gallery, strict=False)
        shelf = self.judge_shelf(photo, gallery, applied)
        return self.judge(repository, checkin, customer, shelf, applied,
                          received_at=checkin.submitted_at, judged_at=judged_at)

    def _judge_and_store(self, repository: Repository, checkin: Checkin, customer: Customer,
                         shelf: ShelfVerdict, applied: AppliedRules, fingerprint: str,
                         now: datetime) -> Checkin:
        judgement = self.judge(repository, checkin, customer, shelf, applied,
                               received_at=now, judged_at=now)
        repository.add_checkin(replace(checkin, status=judgement.status,
                                       photo_phash=judgement.photo_phash, verifications=()))
        RuleSets(repository.connection, repository.tenant_id).add_verifications(
            judgement.verifications, judgement.rules_version)
        repository.set_upload_fingerprint(checkin.id, fingerprint)
        stored = repository.checkin(checkin.id)
        if stored is None:  # pragma: no cover - just inserted in this transaction
            raise RuntimeError(f"check-in {checkin.id} vanished inside its own transaction")
        return stored

    def _photo_history_reasons(self, repository: Repository, checkin: Checkin,
                               shelf: ShelfVerdict) -> list[Reason]:
        """Exact re-use reasons; without one, near-duplicate and stale-shelf reasons (an
        exact copy is also a near one, and saying so twice helps nobody)."""
        earlier = [(c.photo_sha256, PhotoUse(checkin_id=str(c.id), customer_id=c.customer_id,
                                             submitted_at=c.submitted_at))
                   for c in repository.checkins_with_photo(checkin.photo_sha256)]
        reuse = photo_reuse_verdict(str(checkin.id), checkin.photo_sha256,
                                    checkin.submitted_at, build_index(earlier))
        if reuse.reasons or shelf.perceptual_hash is None:
            return list(reuse.reasons)
        with self._lock:
            photos = self._histories.setdefault(repository.tenant_id, TenantPhotos())
            photos.refresh(repository)
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


class TenantPhotos:
    """One tenant's hashed photos, topped up from the store on every :meth:`refresh`.

    A check-in commits a moment after its ``submitted_at`` (its verification runs in
    between), so a refresh re-reads from a little before the newest submission it has seen:
    ``RECENT`` back on every refresh (uploads commit within a second or two), and
    ``OVERLAP`` back on a sweep every ``SWEEP_EVERY`` seconds, which catches a commit that
    took longer. The cost of a refresh is the rows in its window, so the every-upload window
    stays short: at 20 uploads/s a 5-minute window would re-read 6,000 rows per upload."""

    RECENT = timedelta(seconds=10)
    OVERLAP = timedelta(minutes=5)
    SWEEP_EVERY = 30.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.history = PhotoHistory()
        self.seen: set[str] = set()
        self.newest: datetime | None = None
        self._clock = clock
        self._last_sweep: float | None = None

    def refresh(self, repository: Repository) -> None:
        now = self._clock()
        sweep = self._last_sweep is None or now - self._last_sweep >= self.SWEEP_EVERY
        if sweep:
            self._last_sweep = now
        since = (None if self.newest is None
                 else self.newest - (self.OVERLAP if sweep else self.RECENT))
        new = [HashedPhotoUse(checkin_id=checkin_id, customer_id=customer_id,
                              submitted_at=submitted_at, phash=phash,
                              accepted=status is CheckinStatus.VERIFIED)
               for checkin_id, customer_id, submitted_at, phash, status
               in repository.hashed_photos(submitted_from=since) if checkin_id not in self.seen]
        if not new:
            return
        if len(self.history) == 0:
            self.history = PhotoHistory(new)  # one bulk index build on the first load
        else:
            for use in new:
                self.history.add(use)
        self.seen.update(use.checkin_id for use in new)
        newest = max(use.submitted_at for use in new)
        self.newest = newest if self.newest is None else max(self.newest, newest)


def checkin_from_meta(meta: CheckinMeta, *, tenant_id: str, rep_id: str,
                      submitted_at: datetime, photo_sha256: str) -> Checkin:
    """The domain record of an upload. Values the records refuse (latitude 91, a blank
    commitment) raise ``InvalidValue`` with ``field`` as its path in the meta JSON
    (``meta.fix.lat``)."""
    fix, action, commitment = meta.fix, meta.next_action, meta.commitment
    gps_fix = _at("meta.fix.", lambda: GpsFix(
        lat=fix.lat, lon=fix.lon, accuracy_m=fix.accuracy_m, fix_time=fix.fix_time,
        provider=fix.provider, is_mock=fix.is_mock))
    agreed = _at("meta.commitment.", lambda: Commitment(
        text=commitment.text, contract_number=commitment.contract_number))
    next_action = _at("meta.next_action.", lambda: NextAction(
        text=action.text, due_at=action.due_at, kind=action.kind, contact_id=action.contact_id))
    return _at("meta.", lambda: Checkin(
        tenant_id=tenant_id, id=meta.id, rep_id=rep_id, customer_id=meta.customer_id,
        arrived_at=meta.arrived_at, departed_at=meta.departed_at,
        photo_captured_at=meta.photo_captured_at, submitted_at=submitted_at,
        device_submitted_at=meta.device_submitted_at, fix=gps_fix,
        photo_sha256=photo_sha256, commitment=agreed, next_action=next_action))


_T = TypeVar("_T")


def _at(prefix: str, build: Callable[[], _T]) -> _T:
    """``build()``, with an ``InvalidValue``'s field renamed to its place in the meta."""
    try:
        return build()
    except InvalidValue as error:
        name = error.field.rsplit(".", 1)[-1]
        raise InvalidValue(prefix + name, error.reason, code=error.code) from None


def upload_fingerprint(rep_id: str, meta: CheckinMeta, photo_sha256: str) -> str:
    """SHA-256 of the canonical upload: meta as JSON (UTC times, sorted keys), the rep id
    (so another rep replaying an id gets 409, not someone else's verdict) and the photo's
    SHA-256. ``device_submitted_at`` is left out: a phone stamps every attempt afresh, and a
    retry is still the same check-in (the first attempt's stamp is the one kept)."""
    # An absent fixture_type is left out too, so uploads from before the field existed
    # keep their fingerprints.
    left_out = {"device_submitted_at"} | ({"fixture_type"} if meta.fixture_type is None
                                          else set())
    canonical = json.dumps({"meta": meta.model_dump(mode="json", exclude=left_out),
                            "rep_id": rep_id,
                            "photo_sha256": photo_sha256},
                           sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def combined_status(*statuses: CheckinStatus) -> CheckinStatus:
    """``rejected`` if any check rejects, else ``needs_review`` if any asks, else
    ``verified``."""
    for severe in (CheckinStatus.REJECTED, CheckinStatus.NEEDS_REVIEW):
        if severe in statuses:
            return severe
    return CheckinStatus.VERIFIED


_MAGIC = (("JPEG", b"\xff\xd8\xff"), ("PNG", b"\x89PNG\r\n\x1a\n"))
_DECLARED = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP",
             "image/jpeg": "JPEG", "image/jpg": "JPEG", "image/png": "PNG",
             "image/webp": "WEBP"}


def require_declared_format(data: bytes, filename: str | None,
                            content_type: str | None) -> None:
    """Refuse a file whose name or content type says one image format while its bytes are
    another (a PNG renamed ``.jpg``): 422 ``PHOTO_TYPE_MISMATCH``. Bytes of no accepted
    format are left to the decoder, which names the problem (``PHOTO_UNSUPPORTED_FORMAT``)."""
    actual = photo_format(data)
    if actual is None:
        return
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if filename and "." in filename else ""
    mime = (content_type or "").split(";")[0].strip().lower()
    for declared in (suffix, mime):
        expected = _DECLARED.get(declared)
        if expected is not None and expected != actual:
            raise InvalidValue("photo", f"the file is declared as {declared} but its content "
                               f"is {actual}; send the camera's original JPEG",
                               code="PHOTO_TYPE_MISMATCH")


def photo_format(data: bytes) -> str | None:
    """The image format its first bytes announce (JPEG, PNG, WEBP), or None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    for name, magic in _MAGIC:
        if data.startswith(magic):
            return name
    return None


def _replay(repository: Repository, checkin_id: UUID, fingerprint: str) -> Submission | None:
    exists, stored_fingerprint = repository.upload_fingerprint(checkin_id)
    if not exists:
        return None
    if stored_fingerprint != fingerprint:
        raise CheckinIdConflict(f"check-in {checkin_id} was already submitted with different "
                                "content; a new check-in needs a new id")
    stored = repository.checkin(checkin_id)
    if stored is None:  # pragma: no cover - seen a moment ago in the same connection
        return None
    return Submission(checkin=stored, created=False)


def stored_fixture_type(checkin: Checkin) -> str | None:
    """The fixture type a stored check-in was uploaded with (from its latest shelf
    verification; None: the rules' default was used)."""
    shelf = [v for v in checkin.verifications if v.checker == "shelf"]
    value = shelf[-1].details.get("fixture_type") if shelf else None
    return value if isinstance(value, str) else None


def _shifted(moment: datetime, delta: timedelta) -> datetime:
    """``moment + delta``, clamped to the calendar's ends (a fix stamped in year 9999 is a
    verdict's problem, not a crash)."""
    try:
        return moment + delta
    except OverflowError:
        return (datetime.max if delta > timedelta(0) else datetime.min).replace(tzinfo=UTC)


def _exif_evidence(shelf: ShelfVerdict) -> ExifEvidence | None:
    exif = shelf.exif
    if exif is None or (exif.captured_at is None and not exif.has_position):
        return None
    return ExifEvidence(captured_at=exif.captured_at, lat=exif.lat, lon=exif.lon)
