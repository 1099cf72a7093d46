"""Per-token rate limits (serving/rate_limit.py) through the real app and store, on a clock
the tests move forward instead of sleeping."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from serving.rate_limit import Rate, TokenBuckets
from tests.api_harness import Api, shelf_photo
from tests.builders import make_upload_meta

# 6 requests a minute = one every 10 s, 3 at once; uploads 2 at once, one every 30 s.
LIMITS = {"rate_limit_per_minute": 6, "rate_limit_burst": 3,
          "upload_rate_limit_per_minute": 2, "upload_rate_limit_burst": 2}


class Clock:
    """Monotonic seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_limited_api(make_api: Callable[..., Api], clock: Clock) -> Callable[..., Api]:
    """The app with the small ``LIMITS`` (keyword arguments override them) and ``clock``."""
    return lambda **overrides: make_api(clock=clock, **{**LIMITS, **overrides})


@pytest.fixture
def api(make_limited_api: Callable[..., Api]) -> Api:
    return make_limited_api()


def listing(api: Api, who: str = "rep") -> int:
    return int(api.client.get("/v1/checkins", headers=api.auth(who)).status_code)


def assert_rate_limited(response: Any, retry_after: int) -> None:
    assert response.status_code == 429
    assert response.headers["Retry-After"] == str(retry_after)
    body = response.json()
    assert set(body) == {"code", "message"}
    assert body["code"] == "RATE_LIMITED"
    assert f"retry in {retry_after} s" in body["message"]


def test_a_token_past_its_burst_gets_429_with_retry_after(api: Api) -> None:
    assert [listing(api) for _ in range(3)] == [200, 200, 200]
    assert_rate_limited(api.client.get("/v1/checkins", headers=api.auth("rep")), 10)


def test_one_exhausted_token_does_not_limit_another(api: Api) -> None:
    assert [listing(api) for _ in range(4)] == [200, 200, 200, 429]
    assert [listing(api, "rep2") for _ in range(3)] == [200, 200, 200]
    assert [listing(api, "manager") for _ in range(3)] == [200, 200, 200]
    assert listing(api) == 429


def test_a_retry_after_the_window_succeeds(api: Api, clock: Clock) -> None:
    assert [listing(api) for _ in range(4)] == [200, 200, 200, 429]
    clock.advance(9.9)
    assert_rate_limited(api.client.get("/v1/checkins", headers=api.auth("rep")), 1)
    clock.advance(0.1)
    assert listing(api) == 200
    assert listing(api) == 429
    clock.advance(30)  # refills 3 units, never more than the burst
    assert [listing(api) for _ in range(4)] == [200, 200, 200, 429]


def test_uploads_have_their_own_stricter_bucket_and_a_limited_one_stores_nothing(
        make_limited_api: Callable[..., Api], clock: Clock) -> None:
    api = make_limited_api(rate_limit_per_minute=600, rate_limit_burst=100)
    assert listing(api) == 200  # the token is known from here on
    metas = [make_upload_meta() for _ in range(3)]
    assert [api.upload(meta, shelf_photo(seed=i)).status_code
            for i, meta in enumerate(metas[:2])] == [201, 201]
    before = api.stored()
    limited = api.upload(metas[2], shelf_photo(seed=2))
    assert_rate_limited(limited, 30)
    assert limited.headers["Connection"] == "close"
    assert api.stored() == before
    assert (before[0], before[2]) == (2, 2)  # check-ins, photo files
    assert listing(api) == 200  # other requests still pass
    assert api.upload(make_upload_meta(), shelf_photo(seed=3), who="rep2").status_code == 201
    clock.advance(30)
    assert api.upload(metas[2], shelf_photo(seed=2)).status_code == 201
    after = api.stored()
    assert (after[0], after[2]) == (4, 4)


def test_forged_tokens_share_their_address_bucket(api: Api) -> None:
    assert listing(api) == 200  # rep's token answered: from now on it has its own bucket
    forged = [{"Authorization": f"Bearer {secrets.token_urlsafe(32)}"} for _ in range(3)]
    statuses = [api.client.get("/v1/checkins", headers=h).status_code for h in forged]
    # The address had one unit taken by rep's first request, before the token was known.
    assert statuses == [401, 401, 429]
    assert api.client.get("/v1/checkins").status_code == 429  # no token: the address too
    assert listing(api) == 200


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_health_and_metrics_are_never_limited(api: Api, path: str) -> None:
    for _ in range(3):
        api.client.get("/v1/checkins")
    assert api.client.get("/v1/checkins").status_code == 429
    assert [api.client.get(path).status_code for _ in range(10)] == [200] * 10


def test_a_rate_of_zero_turns_the_limits_off(make_limited_api: Callable[..., Api]) -> None:
    api = make_limited_api(rate_limit_per_minute=0)
    assert {listing(api) for _ in range(20)} == {200}
    assert 429 not in api.client.get("/openapi.json").json()["paths"]["/v1/checkins"]["get"][
        "responses"]


def test_the_openapi_schema_documents_429_except_on_health(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    upload = paths["/v1/checkins"]["post"]["responses"]["429"]
    assert upload["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorPublic")
    assert "Retry-After" in upload["headers"]
    assert "429" not in paths["/healthz"]["get"]["responses"]


def test_the_metrics_count_429s(api: Api) -> None:
    assert [listing(api) for _ in range(4)] == [200, 200, 200, 429]
    exposition = api.client.get("/metrics").text
    assert ('visitproof_http_requests_total{method="GET",route="unmatched",status="429"} 1'
            in exposition)


def test_buckets_charge_exactly_the_burst_under_concurrent_takers() -> None:
    buckets = TokenBuckets(lambda: 0.0)
    rate = Rate(per_minute=60, burst=100)
    with ThreadPoolExecutor(max_workers=8) as pool:
        waits = list(pool.map(lambda _: buckets.take([(("requests", "k"), rate)]),
                              range(1000)))
    assert sum(wait == 0 for wait in waits) == 100
    assert min(wait for wait in waits if wait > 0) == pytest.approx(1.0)


def test_a_short_bucket_charges_none_of_the_others() -> None:
    buckets = TokenBuckets(lambda: 0.0)
    wide, narrow = Rate(per_minute=60, burst=5), Rate(per_minute=60, burst=1)
    assert buckets.take([(("requests", "k"), wide), (("uploads", "k"), narrow)]) == 0
    assert buckets.take([(("requests", "k"), wide), (("uploads", "k"), narrow)]) == 1.0
    # The refused call took nothing from the wide bucket: 4 units are left of 5.
    assert [buckets.take([(("requests", "k"), wide)]) for _ in range(5)] == [0, 0, 0, 0, 1.0]


def test_idle_buckets_are_forgotten_so_memory_stays_bounded() -> None:
    now = [0.0]
    buckets = TokenBuckets(lambda: now[0], max_buckets=100)
    rate = Rate(per_minute=60, burst=2)
    for caller in range(1000):
        now[0] += 1
        assert buckets.take([(("requests", f"address:{caller}"), rate)]) == 0
    assert len(buckets) <= 101
