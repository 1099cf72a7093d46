"""``/v1/checkins``: the rep's upload, and reading check-ins back within the caller's scope."""

from __future__ import annotations

import hashlib
from functools import partial
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from pydantic import Json

from application.evidence_archive import EvidenceArchive
from serving.annotated_photo import annotated_jpeg
from serving.auth import CurrentRep, CurrentUser, can_see, listed_rep_ids
from serving.checkin_upload import photo_format, upload_of
from serving.errors import error_responses
from serving.query_params import Offset, QueryInstant
from serving.runtime import Runtime, RuntimeDep
from serving.schemas import CheckinMeta, CheckinPublic, CheckinsPublic, VerdictPublic
from visitproof.errors import InvalidValue, NotFound
from visitproof.records import Checkin, CheckinStatus
from visitproof.store import Store
from visitproof.values import utc_now
from visitproof.verdicts import checkin_verdict

router = APIRouter(prefix="/v1/checkins", tags=["checkins"])


_DESCRIBED = {
    404: "No such check-in in the caller's scope (NOT_FOUND).",
    409: "The check-in id was used with a different body (CHECKIN_ID_CONFLICT).",
    413: "The request body is over the upload limit (PAYLOAD_TOO_LARGE).",
    422: "Invalid input; `code` says what (see the README's error table).",
}
_errors = partial(error_responses, _DESCRIBED)
_UPLOAD_UNAVAILABLE = {503: "The store or, on Ray, the shelf detector is unavailable "
                       "(STORE_UNAVAILABLE, DETECTOR_UNAVAILABLE): nothing was stored; send the "
                       "same upload again after Retry-After seconds."}


async def one_of_each_part(request: Request) -> None:
    """A second ``photo`` or ``meta`` part is refused (422 ``DUPLICATE_FIELD``) rather than
    one of the two silently judged. The form is the one FastAPI already parsed (cached)."""
    form = await request.form()
    for name in ("photo", "meta"):
        if len(form.getlist(name)) > 1:
            raise InvalidValue(name, f"the form has {len(form.getlist(name))} '{name}' "
                               "parts; send exactly one", code="DUPLICATE_FIELD")


@router.post(
    "", status_code=201, response_model=VerdictPublic,
    summary="Upload a check-in: shelf photo + meta JSON",
    responses={200: {"model": VerdictPublic,
                      "description": "A retry of a stored check-in: the stored verdict."},
               **_errors(401, 403, 409, 413, 422),
               **error_responses(_UPLOAD_UNAVAILABLE, 503)},
)
async def upload_checkin(
    user: CurrentRep,
    runtime: RuntimeDep,
    response: Response,
    _: Annotated[None, Depends(one_of_each_part)],
    photo: Annotated[UploadFile, File(description="The shelf photo, the camera's JPEG.")],
    meta: Annotated[Json[CheckinMeta], Form(
        description="The check-in as a JSON string (schema: CheckinMeta).")],
    visit_note_id: Annotated[UUID | None, Form(
        description="The rep's visit note (POST /v1/visit-notes) this check-in was made "
        "from; linked once (409 VISIT_NOTE_ALREADY_USED, 422 VISIT_NOTE_NOT_FOUND).")] = None,
) -> VerdictPublic:
    """Judge a check-in and store it with its verdict (201). Idempotent on ``meta.id``: a
    retry with the same body answers 200 with the stored verdict; a different body under the
    same id answers 409. The rep is the token's user. Only ``rep`` tokens may upload."""
    received_at = utc_now()
    data = await photo.read()  # bounded by the upload limit (serving.upload_limit)
    upload = upload_of(meta, tenant_id=user.tenant_id, rep_id=user.user_id, photo=data,
                       filename=photo.filename, content_type=photo.content_type,
                       received_at=received_at, visit_note_id=visit_note_id)
    submission = await runtime.workers.run(runtime.intake.submit, upload, now=received_at)
    if submission.created:
        _count_stored(runtime, submission.checkin)
    else:
        response.status_code = 200
    return VerdictPublic.of(submission.checkin)


def _count_stored(runtime: Runtime, checkin: Checkin) -> None:
    """Count a stored upload in the metrics: its verdict, the verdict's reason codes and
    its detector time (the shelf verdict's ``timings_ms["detect"]``: the detector call as
    the intake made it, in process or to the Ray deployment)."""
    verdict = checkin_verdict(checkin)
    shelf = checkin.latest("shelf")
    detect_ms = None if shelf is None else (shelf.details.get("timings_ms") or {}).get("detect")
    runtime.metrics.count_checkin(
        checkin.status.value, [reason.code for reason in verdict.reasons],
        detector_seconds=detect_ms / 1000 if isinstance(detect_ms, int | float) else None)


@router.get("", response_model=CheckinsPublic, responses=_errors(401, 422, 503))
def list_checkins(
    user: CurrentUser,
    runtime: RuntimeDep,
    rep_id: str | None = None,
    customer_id: str | None = None,
    status: CheckinStatus | None = None,
    departed_from: Annotated[QueryInstant | None, Query(
        alias="from", description="Departed at or after (with offset).")] = None,
    departed_until: Annotated[QueryInstant | None, Query(
        alias="to", description="Departed before (with offset).")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> CheckinsPublic:
    """Check-ins the caller may see, newest submission first (the server's
    ``submitted_at``, never the phone's own times): a rep their own, a manager their
    team's, a director or admin the whole tenant. ``from``/``to`` filter on the
    departure."""
    with runtime.database.connect() as connection:
        store = Store(connection, user.tenant_id)
        page = store.checkins.page(
            rep_ids=listed_rep_ids(user, store.reference, rep_id), customer_id=customer_id,
            status=status, departed_from=departed_from, departed_until=departed_until,
            limit=limit, offset=offset)
    return CheckinsPublic(data=[CheckinPublic.of(c) for c in page.items], count=page.count)


@router.get("/{checkin_id}", response_model=CheckinPublic, responses=_errors(401, 404, 503))
def get_checkin(checkin_id: UUID, user: CurrentUser, runtime: RuntimeDep) -> CheckinPublic:
    """One check-in with its verdict; 404 when it is not in the caller's scope."""
    return CheckinPublic.of(_visible_checkin(checkin_id, user, runtime))


@router.get("/{checkin_id}/photo", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}},
                             "description": "The photo as uploaded, or annotated (JPEG)."},
                       **_errors(401, 404, 503)})
def get_checkin_photo(
    checkin_id: UUID, user: CurrentUser, runtime: RuntimeDep,
    annotated: Annotated[bool, Query(
        description="Draw the shelf verdict on it: rows, golden zone, featured packs.")] = False,
) -> Response:
    """The check-in's shelf photo, byte for byte as uploaded, or annotated with the verdict
    that judged it."""
    checkin = _visible_checkin(checkin_id, user, runtime)
    data = runtime.photos.get(checkin.photo_sha256)
    headers = {"Cache-Control": "private, max-age=86400"}
    if annotated:
        shelf = VerdictPublic.of(checkin).shelf
        if shelf is None:
            raise NotFound(f"check-in {checkin_id} has no shelf verdict to draw")
        return Response(content=annotated_jpeg(data, shelf), media_type="image/jpeg",
                        headers=headers)
    media_type = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}.get(
        photo_format(data) or "", "application/octet-stream")
    return Response(content=data, media_type=media_type,
                    headers={**headers, "ETag": f'"{checkin.photo_sha256}"'})


@router.get("/{checkin_id}/photo/archive", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}},
                             "description": "The evidence archive's watermarked copy."},
                       **_errors(401, 404, 503)})
def get_checkin_archive_photo(checkin_id: UUID, user: CurrentUser,
                              runtime: RuntimeDep) -> Response:
    """The watermarked copy of the check-in's photo (local time, position with accuracy,
    customer, rep, check-in id drawn in a band at its foot), as the evidence archive keeps
    it; 404 ``NOT_FOUND`` when the check-in is not archived (yet). ``/photo`` stays the
    original, byte for byte."""
    checkin = _visible_checkin(checkin_id, user, runtime)
    path = _archive(runtime).watermarked_path(checkin.id)
    if not path.is_file():
        raise NotFound(f"check-in {checkin_id} has no archived copy; `visitproof archive "
                       "backfill` archives stored check-ins")
    return Response(content=path.read_bytes(), media_type="image/jpeg",
                    headers={"Cache-Control": "private, max-age=60"})


@router.get("/{checkin_id}/manifest", response_class=Response,
            responses={200: {"content": {"application/x-ndjson": {}},
                             "description": "The signed manifest, one JSON entry a line."},
                       **_errors(401, 404, 503)})
def get_checkin_manifest(checkin_id: UUID, user: CurrentUser, runtime: RuntimeDep) -> Response:
    """The check-in's signed evidence manifest as JSON lines (entry 0 the capture, then
    each verification and review decision, each signed and chained to the one before;
    ``visitproof verify-archive`` checks it). ``X-Manifest-SHA256``: the file's digest.
    404 ``NOT_FOUND`` when the check-in is not archived (yet)."""
    checkin = _visible_checkin(checkin_id, user, runtime)
    path = _archive(runtime).manifest_path(checkin.id)
    if not path.is_file():
        raise NotFound(f"check-in {checkin_id} has no evidence manifest; `visitproof "
                       "archive backfill` archives stored check-ins")
    data = path.read_bytes()
    return Response(content=data, media_type="application/x-ndjson",
                    headers={"Cache-Control": "no-store",
                             "X-Manifest-SHA256": hashlib.sha256(data).hexdigest()})


def _archive(runtime: Runtime) -> EvidenceArchive:
    return runtime.intake.archive or EvidenceArchive.of(runtime.settings)


def _visible_checkin(checkin_id: UUID, user: CurrentUser, runtime: RuntimeDep) -> Checkin:
    with runtime.database.connect() as connection:
        store = Store(connection, user.tenant_id)
        checkin = store.checkins.get(checkin_id)
        if checkin is None or not can_see(user, checkin, store.reference):
            raise NotFound(f"no check-in {checkin_id}")
    return checkin
