"""The plain uvicorn listener (``visitproof serve --no-ray``): the app behind an HTTP protocol
that times out slow headers and answers unparseable requests with the service's error shape
(:mod:`serving.slow_clients`); the body's limits are the app's own
(:mod:`serving.upload_limit`), the access log's URLs are redacted (:mod:`serving.access_log`).

    uvicorn.Server(listener_config(create_app(settings), host="127.0.0.1", port=8000)).run()
"""

from __future__ import annotations

import math

import uvicorn
from starlette.types import ASGIApp

from serving.access_log import redact_access_log
from serving.slow_clients import ClientTimeouts, guarded_protocol


def listener_config(app: ASGIApp, *, host: str, port: int,
                    timeouts: ClientTimeouts | None = None, access_log: bool = True,
                    log_level: str = "info", parser: str = "auto") -> uvicorn.Config:
    """uvicorn's configuration for ``app`` on ``host:port`` with ``timeouts`` (default
    :class:`ClientTimeouts`): the guarded protocol, and its keep-alive timeout."""
    timeouts = timeouts or ClientTimeouts()
    config = uvicorn.Config(app, host=host, port=port, http=guarded_protocol(timeouts, parser),
                            timeout_keep_alive=max(1, math.ceil(timeouts.keep_alive_s)),
                            access_log=access_log, log_level=log_level)
    redact_access_log()  # after the Config, which (re)configures uvicorn's loggers
    return config
