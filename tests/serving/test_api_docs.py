"""``/docs`` and ``/redoc`` work offline: every script, style and icon they load comes from the
service itself, and those assets are served."""

from __future__ import annotations

import re
from uuid import UUID

import pytest
from pydantic_core import to_json

from serving.schemas import ShelfVerdictPublic, _shelf_json
from tests.api_harness import Api, shelf_photo
from tests.builders import TENANT, make_upload_meta
from tests.serving.test_retake import spoiled
from visitproof.store import Store

REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\s*:\s*["']([^"']+)["']""")


def references(html: str) -> list[str]:
    return [a or b for a, b in REFERENCE.findall(html)]


@pytest.mark.parametrize(("page", "assets"), [
    ("/docs", {"swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"}),
    ("/redoc", {"redoc.standalone.js", "favicon.png"}),
])
def test_the_docs_load_nothing_from_another_host(api: Api, page: str,
                                                 assets: set[str]) -> None:
    answer = api.client.get(page)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    found = references(answer.text)
    assert found, answer.text[:500]
    assert [ref for ref in found if "//" in ref] == [], found
    assert "fonts.googleapis" not in answer.text
    assert "cdn.jsdelivr" not in answer.text
    served = {ref.rsplit("/", 1)[-1] for ref in found if ref.startswith("/docs-assets/")}
    assert assets <= served, found
    for ref in found:
        if ref.startswith("/docs-assets/"):
            asset = api.client.get(ref)
            assert asset.status_code == 200, ref
            assert len(asset.content) > 1000, ref


def test_swagger_ui_does_not_ask_the_online_validator(api: Api) -> None:
    html = api.client.get("/docs").text
    assert '"validatorUrl": null' in html


def test_the_document_the_docs_read_is_served(api: Api) -> None:
    document = api.client.get("/openapi.json")
    assert document.status_code == 200
    assert "/v1/checkins" in document.json()["paths"]
    assert "/docs" not in document.json()["paths"]


def test_every_reference_in_the_document_resolves(api: Api) -> None:
    """A ``$ref`` to a schema the document doesn't hold breaks ReDoc's whole page."""
    answer = api.client.get("/openapi.json")
    document = answer.json()
    named = re.findall(r'"\$ref":\s*"#/components/schemas/([^"]+)"', answer.text)
    assert named, "no references at all: the pattern no longer matches the document"
    assert sorted(set(named) - set(document["components"]["schemas"])) == []


def test_reason_codes_are_an_enum_in_the_document(api: Api) -> None:
    """A phone app can switch on every reason code the service can give."""
    from visitproof.reasons import ReasonCode

    schema = api.client.get("/openapi.json").json()["components"]["schemas"]["ReasonPublic"]
    assert set(schema["properties"]["code"]["enum"]) == {code.value for code in ReasonCode}


# -- the upload's answer is typed to the last field (issue 19) ----------------------------


def test_the_shelf_and_fix_checks_are_typed_in_the_document(api: Api) -> None:
    schemas = api.client.get("/openapi.json").json()["components"]["schemas"]
    verdict = schemas.get("VerdictPublic") or schemas["VerdictPublic-Output"]
    assert {"$ref": "#/components/schemas/ShelfVerdictPublic"} in \
        verdict["properties"]["shelf"]["anyOf"]
    shelf = schemas["ShelfVerdictPublic"]
    assert set(shelf["properties"]) == set(ShelfVerdictPublic.model_fields)
    for nested in ("DetectionPublic", "ShelfRowPublic", "FeaturedPlacementPublic",
                   "PhotoExifPublic", "PhotoQualityPublic"):
        assert nested in schemas, nested
    fix = verdict["properties"]["fix"]["anyOf"][0]["$ref"].rsplit("/", 1)[-1]
    assert schemas[fix]["properties"]["reasons"]["items"]["$ref"].endswith("ReasonPublic")
    assert "distance_m" in schemas[fix]["properties"]["measurements"]["description"]


def test_an_uploads_shelf_is_the_typed_model_and_the_stored_json_byte_for_byte(
        api: Api) -> None:
    """The model mirrors ``ShelfVerdict.as_json`` exactly (every key, no other) and typing
    it changed no byte: the answer holds the stored JSON as pydantic wrote the untyped
    ``dict[str, Any]`` before."""
    tags = {"reverify_run", "previous_status"}  # only on re-verified checks
    for photo in (shelf_photo(11), spoiled(12, "blurred")):
        answer = api.upload(make_upload_meta(), photo)
        assert answer.status_code == 201, answer.text
        shelf = answer.json()["shelf"]
        assert set(shelf) == set(ShelfVerdictPublic.model_fields) - tags
        typed = ShelfVerdictPublic.model_validate(shelf)
        assert typed.status is not None
        assert typed.image_size == [1280, 960]
        with api.database.connect() as connection:
            checkin = Store(connection, TENANT).checkins.get(UUID(answer.json()["checkin_id"]))
        assert checkin is not None
        stored = checkin.latest("shelf")
        assert stored is not None
        assert to_json(_shelf_json(stored)) in answer.content
        again = api.client.get(f"/v1/checkins/{checkin.id}", headers=api.auth("rep"))
        assert to_json(_shelf_json(stored)) in again.content


def test_error_bodies_document_that_messages_may_be_translated(api: Api) -> None:
    schemas = api.client.get("/openapi.json").json()["components"]["schemas"]
    for model in ("ErrorPublic", "ErrorDetail"):
        message = schemas[model]["properties"]["message"]["description"]
        assert "may be translated" in message, model
        assert "zh-CN" in message, model
        assert "Stable" in schemas[model]["properties"]["code"]["description"], model


def test_warning_codes_are_an_enum_in_the_document(api: Api) -> None:
    from phi.warning_signs import WarningCode

    schemas = api.client.get("/openapi.json").json()["components"]["schemas"]
    assert set(schemas["PhiWarningPublic"]["properties"]["code"]["enum"]) == \
        {code.value for code in WarningCode}
