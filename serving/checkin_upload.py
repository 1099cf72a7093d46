"""An upload as the HTTP edge receives it, mapped to what the application judges: the meta
JSON becomes a :class:`~visitproof.records.Checkin`, the photo's declared type is checked
against its bytes, and the upload gets its idempotency fingerprint.

    upload = upload_of(meta, tenant_id="acme", rep_id="r1", photo=data,
                       filename="shelf.jpg", content_type="image/jpeg", received_at=now)
    submission = intake.submit(upload, now=now)

``submitted_at`` is the server clock at receipt, never the phone's. Values the records
refuse (latitude 91, a blank commitment) raise ``InvalidValue`` with ``field`` as its path in
the meta JSON (``meta.fix.lat``); a PNG renamed ``.jpg`` is 422 ``PHOTO_TYPE_MISMATCH``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar
from uuid import UUID

from application.checkin_intake import Upload
from serving.schemas import CheckinMeta
from visitproof.errors import InvalidValue
from visitproof.records import Checkin, Commitment, GpsFix, NextAction


def upload_of(meta: CheckinMeta, *, tenant_id: str, rep_id: str, photo: bytes,
              filename: str | None, content_type: str | None,
              received_at: datetime, visit_note_id: UUID | None = None) -> Upload:
    """The :class:`Upload` of one request (see the module docstring); ``visit_note_id``:
    the rep's visit note the check-in was made from (a form field of its own)."""
    require_declared_format(photo, filename, content_type)
    photo_sha256 = hashlib.sha256(photo).hexdigest()
    checkin = checkin_from_meta(meta, tenant_id=tenant_id, rep_id=rep_id,
                                submitted_at=received_at, photo_sha256=photo_sha256)
    return Upload(checkin=checkin, photo=photo, fixture_type=meta.fixture_type,
                  fingerprint=upload_fingerprint(rep_id, meta, photo_sha256, visit_note_id),
                  visit_note_id=visit_note_id)


def checkin_from_meta(meta: CheckinMeta, *, tenant_id: str, rep_id: str,
                      submitted_at: datetime, photo_sha256: str) -> Checkin:
    """The domain record of an upload; a refused value names its place in the meta."""
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


def upload_fingerprint(rep_id: str, meta: CheckinMeta, photo_sha256: str,
                       visit_note_id: UUID | None = None) -> str:
    """SHA-256 of the canonical upload: meta as JSON (UTC times, sorted keys), the rep id
    (so another rep replaying an id gets 409, not someone else's verdict) and the photo's
    SHA-256. ``device_submitted_at`` is left out: a phone stamps every attempt afresh, and a
    retry is still the same check-in (the first attempt's stamp is the one kept)."""
    # An absent fixture_type is left out too, so uploads from before the field existed
    # keep their fingerprints.
    left_out = {"device_submitted_at"} | ({"fixture_type"} if meta.fixture_type is None
                                          else set())
    body: dict[str, object] = {"meta": meta.model_dump(mode="json", exclude=left_out),
                               "rep_id": rep_id, "photo_sha256": photo_sha256}
    if visit_note_id is not None:  # absent: the fingerprints from before the field stay
        body["visit_note_id"] = str(visit_note_id)
    canonical = json.dumps(body,
                           sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


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
