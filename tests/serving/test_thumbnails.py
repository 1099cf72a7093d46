"""``/manager/checkins/{id}/thumbnail``: a small JPEG of the check-in's photo under the
sign-in cookie, cached on disk, in the drill-down's scope (another team's or tenant's
check-in is a 404 page), and an HTML page for every refusal, never a 500."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
from PIL import Image

from application.thumbnails import Thumbnails
from tests.api_harness import Api, shelf_photo
from tests.builders import make_checkin, with_verdict
from tests.pages_harness import refused_page, sign_in
from visitproof.records import Checkin, CheckinStatus
from visitproof.store import PhotoStore, Store


def stored_checkin(api: Api, *, rep: str = "r1", seed: int = 0, photo: bool = True,
                   status: CheckinStatus = CheckinStatus.VERIFIED, codes: tuple[str, ...] = (),
                   **fields: Any) -> Checkin:
    """A check-in of ``rep`` with a real photo in the app's photo store (``photo`` False:
    its photo is missing), stored with ``status`` and reasons ``codes``."""
    digest = PhotoStore(api.photos_dir).put(shelf_photo(seed)) if photo else None
    checkin = with_verdict(make_checkin(rep=rep, photo=digest, **fields), status, *codes)
    with api.database.begin() as connection:
        Store(connection, checkin.tenant_id).checkins.add(checkin)
    return checkin


def test_thumbnail_is_a_small_cached_jpeg(api: Api) -> None:
    checkin = stored_checkin(api)
    sign_in(api, "manager")
    response = api.client.get(f"/manager/checkins/{checkin.id}/thumbnail")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["cache-control"] == "private, max-age=86400"
    with Image.open(io.BytesIO(response.content)) as image:
        assert (image.format, image.size) == ("JPEG", (240, 180))  # the photo is 1280×960
    assert len(response.content) < 20_000

    cached = Thumbnails(PhotoStore(api.photos_dir)).path_for(checkin.photo_sha256)
    assert cached.read_bytes() == response.content
    written = cached.stat().st_mtime_ns
    again = api.client.get(f"/manager/checkins/{checkin.id}/thumbnail",
                           params={"v": checkin.photo_sha256[:16]})  # as the pages link it
    assert again.content == response.content
    assert cached.stat().st_mtime_ns == written  # served from the cache, not rebuilt


@pytest.mark.parametrize("who", ["manager", "director", "admin"])
def test_everyone_who_sees_the_drilldown_sees_the_thumbnail(api: Api, who: str) -> None:
    checkin = stored_checkin(api)
    sign_in(api, who)
    assert api.client.get(f"/manager/checkins/{checkin.id}/thumbnail").status_code == 200


@pytest.mark.parametrize("who", ["manager_t2", "other_tenant_admin"])
def test_out_of_scope_checkin_is_a_404_page(api: Api, who: str) -> None:
    checkin = stored_checkin(api)  # r1, team t1, tenant acme
    sign_in(api, who)
    response = api.client.get(f"/manager/checkins/{checkin.id}/thumbnail")
    refused_page(response, 404, "NOT_FOUND")
    assert "image" not in response.headers["content-type"]
    assert not Thumbnails(PhotoStore(api.photos_dir)).path_for(checkin.photo_sha256).exists()


def test_missing_photo_and_unknown_checkin_are_404_pages(api: Api) -> None:
    checkin = stored_checkin(api, photo=False)
    sign_in(api, "manager")
    refused_page(api.client.get(f"/manager/checkins/{checkin.id}/thumbnail"), 404, "NOT_FOUND")
    refused_page(api.client.get(f"/manager/checkins/{uuid.uuid4()}/thumbnail"), 404, "NOT_FOUND")


def test_bad_id_is_a_422_page_and_no_cookie_a_401_page(api: Api) -> None:
    refused_page(api.client.get(f"/manager/checkins/{uuid.uuid4()}/thumbnail"), 401,
             "UNAUTHENTICATED")
    sign_in(api, "manager")
    refused_page(api.client.get("/manager/checkins/not-a-uuid/thumbnail"), 422, "BAD_IDENTIFIER")
