"""The app factory: OpenAPI, start-up checks, and the error mapping's last resort."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from application.settings import Settings
from serving.app import create_app
from tests.api_harness import Api
from visitproof.errors import StoreNotInitialised


def test_openapi_documents_the_multipart_upload_and_its_meta_schema(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    upload = spec["paths"]["/v1/checkins"]["post"]
    form = upload["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
    body = spec["components"]["schemas"][form.rsplit("/", 1)[-1]]
    assert set(body["required"]) == {"photo", "meta"}
    assert body["properties"]["meta"]["contentMediaType"] == "application/json"
    meta_ref = body["properties"]["meta"]["contentSchema"]["$ref"]
    meta = spec["components"]["schemas"][meta_ref.rsplit("/", 1)[-1]]
    assert meta["additionalProperties"] is False
    assert {"id", "customer_id", "fix", "commitment", "next_action"} <= set(meta["required"])
    assert {"201", "200", "401", "403", "409", "413", "422"} <= set(upload["responses"])
    assert "HTTPBearer" in spec["components"]["securitySchemes"]


def test_an_unexpected_error_is_a_500_without_a_traceback(api: Api) -> None:
    def explode() -> None:
        raise RuntimeError("secret internals")

    api.app.add_api_route("/boom", explode)
    response = api.client.get("/boom")
    assert response.status_code == 500
    assert response.json() == {"code": "INTERNAL", "message": "internal error; it has been "
                               "logged"}
    assert "secret internals" not in response.text


def test_unknown_paths_and_methods_have_codes(api: Api) -> None:
    assert api.client.get("/v2/nothing").json()["code"] == "NOT_FOUND"
    response = api.client.delete("/v1/checkins")
    assert (response.status_code, response.json()["code"]) == (405, "METHOD_NOT_ALLOWED")


def test_the_app_refuses_to_start_on_an_uninitialised_store(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path / "empty"))
    with pytest.raises(StoreNotInitialised), TestClient(app):
        pass
