"""Time limits on reading a request, so that a client sending slowly can't hold a connection
(and the worker memory behind it) for as long as it likes.

Modelled on Apache's ``RequestReadTimeout header=10 body=10,MinRate=1024``:

- **headers**: a request's line and headers must be complete within ``header_s`` of the
  connection opening or of the previous answer's end. Enforced by the HTTP protocol of the
  plain uvicorn listener (:func:`guarded_protocol`, :mod:`serving.listener`): a connection that
  sent part of a request by then gets 408 ``REQUEST_TIMEOUT`` and is closed; one that sent
  nothing at all is closed without a word (uvicorn's keep-alive timeout does the same for
  idle connections between requests, after ``keep_alive_s``).
- **body**: the body may take ``body_grace_s``; after that it must keep arriving at
  ``body_min_rate`` bytes a second on average since its start, and all of it within
  ``body_max_s``. Enforced inside the app (:class:`serving.upload_limit.UploadLimit`), so on
  every listener, Ray Serve's replicas included: 408 ``REQUEST_TIMEOUT`` with
  ``Connection: close``.

On the Ray path HAProxy reads the headers (:mod:`serving.ray_environment` sets its client
timeout) and streams the body to a replica, where the body limits apply.

The same protocol answers a request its parser refuses (a NUL byte in a header, a broken
request line) with the service's error shape, 400 ``MALFORMED_REQUEST``, instead of uvicorn's
plain-text ``Invalid HTTP request received.``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, ClassVar

from starlette.exceptions import HTTPException as StarletteHTTPException
from uvicorn.protocols.http.h11_impl import H11Protocol

from application.settings import Settings
from serving.schemas import ErrorPublic


@dataclass(frozen=True, slots=True)
class ClientTimeouts:
    """Seconds and bytes a second; see the module docstring."""

    header_s: float = 10.0
    body_grace_s: float = 10.0
    body_min_rate: float = 1024.0
    body_max_s: float = 300.0
    keep_alive_s: float = 5.0

    @classmethod
    def of(cls, settings: Settings) -> ClientTimeouts:
        """The limits ``settings`` configure (``VISITPROOF_HEADER_TIMEOUT_S``, ...)."""
        return cls(header_s=settings.header_timeout_s, body_grace_s=settings.body_grace_s,
                   body_min_rate=settings.body_min_rate, body_max_s=settings.body_timeout_s)

    def __post_init__(self) -> None:
        for name in ("header_s", "body_grace_s", "body_min_rate", "body_max_s", "keep_alive_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")

    def body_allowance_s(self, received_bytes: int) -> float:
        """How long after its start a body that has brought ``received_bytes`` so far may
        take to bring its next byte: the grace, plus a second per ``body_min_rate`` bytes
        beyond it, at most ``body_max_s``."""
        return min(self.body_max_s, max(self.body_grace_s, received_bytes / self.body_min_rate))

    def describe(self) -> str:
        return (f"the headers within {self.header_s:g} s; the body at {self.body_min_rate:g} "
                f"bytes/s or more after its first {self.body_grace_s:g} s, all of it within "
                f"{self.body_max_s:g} s")


class RequestTimeout(StarletteHTTPException):
    """The body did not arrive in time (raised from ``receive``: an HTTPException, so
    FastAPI's body parser lets it through to :class:`serving.upload_limit.UploadLimit`)."""

    def __init__(self, received_bytes: int, elapsed_s: float, timeouts: ClientTimeouts) -> None:
        super().__init__(status_code=408, detail=(
            f"the request body arrived too slowly ({received_bytes} bytes in "
            f"{elapsed_s:.0f} s); the service needs {timeouts.describe()}. Send it again on a "
            "better connection"))


def error_bytes(status_line: bytes, code: str, message: str) -> bytes:
    """A whole HTTP/1.1 answer with an :class:`ErrorPublic` body and ``Connection: close``,
    for the protocol to write where no ASGI app answers."""
    body = ErrorPublic(code=code, message=message).model_dump_json(exclude_none=True).encode()
    return (b"HTTP/1.1 " + status_line + b"\r\ncontent-type: application/json\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n"
            + body)


_MALFORMED = error_bytes(
    b"400 Bad Request", "MALFORMED_REQUEST",
    "the request is not valid HTTP/1.1 (a control character such as NUL in a header, a broken "
    "request line or header, or conflicting lengths); it was not read")


class _HeaderClock:
    """The header deadline of one connection: armed when it opens and when an answer ends;
    when it expires with no new request's headers complete, the connection is closed."""

    def __init__(self, protocol: Any, seconds: float) -> None:
        self.protocol = protocol  # a uvicorn HTTP protocol: .cycle, .transport, .loop
        self.seconds = seconds
        self._handle: asyncio.TimerHandle | None = None
        self._cycle: Any = None
        self._received = 0

    def start(self) -> None:
        self.stop()
        self._cycle = self.protocol.cycle
        self._received = 0
        self._handle = self.protocol.loop.call_later(self.seconds, self._expire)

    def received(self, count: int) -> None:
        self._received += count

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _expire(self) -> None:
        self._handle = None
        transport, cycle = self.protocol.transport, self.protocol.cycle
        if transport is None or transport.is_closing():
            return
        if cycle is not self._cycle or (cycle is not None and not cycle.response_complete):
            return  # a request's headers came in time; its answer's end re-arms the clock
        if self._received:
            transport.write(error_bytes(
                b"408 Request Timeout", "REQUEST_TIMEOUT",
                f"the request's headers did not arrive within {self.seconds:g} s; send the "
                "request again"))
        transport.close()


class _HeaderDeadline:
    """The header deadline and the JSON 400, mixed into a uvicorn HTTP protocol (its
    ``connection_made`` ... ``send_400_response`` hooks; ``super()`` is the protocol)."""

    timeouts: ClassVar[ClientTimeouts] = ClientTimeouts()
    transport: asyncio.Transport

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._clock = _HeaderClock(self, self.timeouts.header_s)
        self._clock.start()

    def data_received(self, data: bytes) -> None:
        self._clock.received(len(data))
        super().data_received(data)  # type: ignore[misc]

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        if not self.transport.is_closing():
            self._clock.start()

    def connection_lost(self, exc: Exception | None) -> None:
        self._clock.stop()
        super().connection_lost(exc)  # type: ignore[misc]

    def send_400_response(self, msg: str) -> None:
        self.transport.write(_MALFORMED)
        self.transport.close()


class GuardedH11Protocol(_HeaderDeadline, H11Protocol):
    """uvicorn's h11 protocol with the header deadline and a JSON 400."""


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - httptools comes with uvicorn[standard]
    _HTTPTOOLS = False
else:
    _HTTPTOOLS = True

    class GuardedHttpToolsProtocol(_HeaderDeadline, HttpToolsProtocol):
        """uvicorn's httptools protocol with the header deadline and a JSON 400."""


def guarded_protocol(timeouts: ClientTimeouts, parser: str = "auto") -> type[asyncio.Protocol]:
    """The uvicorn HTTP protocol class (``uvicorn.Config(http=...)``) enforcing
    ``timeouts.header_s``: httptools' when installed (``parser`` "auto" or "httptools"),
    else h11's."""
    base: type[asyncio.Protocol] = (
        GuardedHttpToolsProtocol if _HTTPTOOLS and parser in ("auto", "httptools")
        else GuardedH11Protocol)
    return type(f"{base.__name__}Configured", (base,), {"timeouts": timeouts})
