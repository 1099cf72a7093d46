"""Serve's high-throughput mode is switched on for a local Ray unless turned off, and
HAProxy gets free ports."""

from __future__ import annotations

import socket
import sys

import pytest

from serving.ray_environment import (
    HAPROXY_CLIENT_TIMEOUT_S,
    HAPROXY_PORTS,
    haproxy_available,
    use_throughput_mode,
)


def test_throughput_mode_is_set_where_unset() -> None:
    environ: dict[str, str] = {}
    mode = use_throughput_mode(environ, haproxy=True)
    assert mode["RAY_SERVE_ENABLE_HA_PROXY"] == "1"
    assert mode["RAY_SERVE_THROUGHPUT_OPTIMIZED"] == "1"
    assert set(HAPROXY_PORTS) <= set(environ)
    assert mode["RAY_SERVE_DIRECT_INGRESS_MIN_DRAINING_PERIOD_S"] == "5"
    assert mode["RAY_SERVE_HAPROXY_TIMEOUT_CLIENT_S"] == str(HAPROXY_CLIENT_TIMEOUT_S)
    assert environ == mode


@pytest.mark.parametrize(("given", "in_effect"), [
    ({}, str(HAPROXY_CLIENT_TIMEOUT_S)),
    ({"RAY_SERVE_HAPROXY_TIMEOUT_CLIENT_S": "12"}, "12"),
    ({"RAY_SERVE_HAPROXY_TIMEOUT_CLIENT_S": "3600"}, "3600"),
    ({"RAY_SERVE_ENABLE_HA_PROXY": "0"}, None),  # no HAProxy: nothing to time out
])
def test_haproxys_client_timeout_is_set_where_unset(given: dict[str, str],
                                                    in_effect: str | None) -> None:
    environ = dict(given)
    mode = use_throughput_mode(environ, haproxy=True)
    assert mode.get("RAY_SERVE_HAPROXY_TIMEOUT_CLIENT_S") == in_effect
    assert environ.get("RAY_SERVE_HAPROXY_TIMEOUT_CLIENT_S") == in_effect


def test_an_operators_choice_wins() -> None:
    environ = {"RAY_SERVE_ENABLE_HA_PROXY": "0", "RAY_SERVE_THROUGHPUT_OPTIMIZED": "0"}
    assert use_throughput_mode(environ) == {"RAY_SERVE_ENABLE_HA_PROXY": "0",
                                            "RAY_SERVE_THROUGHPUT_OPTIMIZED": "0"}
    assert environ == {"RAY_SERVE_ENABLE_HA_PROXY": "0", "RAY_SERVE_THROUGHPUT_OPTIMIZED": "0"}


def test_without_an_haproxy_binary_the_python_proxy_stays() -> None:
    environ: dict[str, str] = {}
    assert use_throughput_mode(environ, haproxy=False) == {
        "RAY_SERVE_ENABLE_HA_PROXY": "0", "RAY_SERVE_THROUGHPUT_OPTIMIZED": "1"}


def test_ray_serve_brings_its_haproxy_on_linux() -> None:
    if sys.platform != "linux":
        pytest.skip("ray[serve] bundles HAProxy on Linux only")
    assert haproxy_available()


def test_a_busy_haproxy_port_is_replaced_by_a_free_one() -> None:
    with socket.socket() as busy:
        busy.bind(("", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        environ: dict[str, str] = {}
        use_throughput_mode(environ, {"RAY_SERVE_HAPROXY_STATS_PORT": taken}, haproxy=True)
    assert int(environ["RAY_SERVE_HAPROXY_STATS_PORT"]) not in (taken, 0)
