"""/healthz, /readyz, /metrics."""

from __future__ import annotations

import re

from tests.api_harness import Api, shelf_photo
from tests.builders import make_upload_meta


def test_healthz_and_readyz(api: Api) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    ready = api.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "model_version": "shelf-detector-0.1.0-int8"}


def test_readyz_fails_when_the_store_is_not_at_the_current_schema(api: Api) -> None:
    api.database.downgrade("0002")
    response = api.client.get("/readyz")
    assert (response.status_code, response.json()["code"]) == (503, "NOT_READY")
    assert response.json()["details"][0]["code"] == "STORE_NOT_INITIALISED"
    assert "/tmp" not in response.text  # no file paths to the outside
    api.database.migrate()
    assert api.client.get("/readyz").status_code == 200


def test_metrics_count_requests_and_checkins(api: Api) -> None:
    api.upload(make_upload_meta(), shelf_photo())
    api.client.get("/v1/checkins/not-a-uuid", headers=api.auth("rep"))
    api.client.get("/no/such/path")
    response = api.client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    assert re.search(r'visitproof_http_requests_total\{method="POST",route="/v1/checkins",'
                     r'status="201"\} 1\n', text)
    assert re.search(r'visitproof_http_requests_total\{method="GET",'
                     r'route="/v1/checkins/\{checkin_id\}",status="422"\} 1\n', text)
    assert 'route="unmatched",status="404"' in text
    assert re.search(r'visitproof_http_request_duration_seconds_bucket\{method="POST",'
                     r'route="/v1/checkins",le="\+Inf"\} 1\n', text)
    assert re.search(r'visitproof_checkins_total\{status="(verified|needs_review|rejected)"\} '
                     r'1\n', text)
