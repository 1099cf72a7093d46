"""The limits on a request body, enforced while it streams in: its size, how fast it must
arrive, and how many large bodies are read at once.

- **Size**: a declared ``Content-Length`` over ``max_bytes`` is refused before a byte of the
  body is read; a body without one (chunked) is counted as it arrives and refused the moment
  it passes the limit, so no body larger than the limit is ever held in memory or spooled to
  disk. 413 ``PAYLOAD_TOO_LARGE``.
- **Time** (:class:`serving.slow_clients.ClientTimeouts`): the body's grace, minimum rate
  and longest time. 408 ``REQUEST_TIMEOUT``.
- **Large bodies** (:class:`LargeBodies`): a body over ``threshold_bytes`` (the multipart
  spool size: such a photo is spooled to disk, then read back whole into memory for judging)
  waits for one of ``max_concurrent`` slots, at most ``wait_s``, before a byte of it is read,
  else 503 ``SERVER_BUSY`` with Retry-After. Six concurrent 39 MB uploads otherwise hold six
  copies at once: +260 MiB of peak RSS, of which glibc keeps ~35 MiB afterwards; when the
  last large body of a burst is done the process hands its free heap pages back
  (``malloc_trim``, glibc only). Figures: ``benchmarks/reliability/large_uploads.py``.

Every refusal has the :class:`~serving.schemas.ErrorPublic` shape and ``Connection: close``:
the rest of a refused body is never read, so the connection can't carry another request.
A refusal that comes while the app is reading the body replaces whatever the app answers
to the exception (FastAPI's error handler), so its code is always the one above.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.errors import PayloadTooLarge, error_response
from serving.schemas import ErrorPublic
from serving.slow_clients import ClientTimeouts, RequestTimeout

LARGE_BODY_BYTES = 8 * 1024 * 1024
"""Bodies over this are "large": their photo part is spooled to disk (serving.app sets the
multipart spool to the same size)."""


@dataclass(frozen=True, slots=True)
class LargeBodies:
    """At most ``max_concurrent`` bodies over ``threshold_bytes`` are read at once; another
    waits up to ``wait_s`` seconds for a slot, then gets 503 with ``retry_after_s``. With
    ``give_back_memory`` the heap is trimmed when the last one in flight is done."""

    threshold_bytes: int = LARGE_BODY_BYTES
    max_concurrent: int = 2
    wait_s: float = 15.0
    retry_after_s: int = 5
    give_back_memory: bool = True


class ServerBusy(StarletteHTTPException):
    """No slot for a large body came free in time."""

    def __init__(self, bodies: LargeBodies) -> None:
        super().__init__(status_code=503, detail=(
            f"{bodies.max_concurrent} uploads over {bodies.threshold_bytes / 1024 / 1024:.0f} "
            f"MiB are being received already; send this one again in "
            f"{bodies.retry_after_s} s (a phone's photo is 2-6 MB: check the camera settings)"),
            headers={"Retry-After": str(bodies.retry_after_s)})


class _Slots:
    """The large-body slots of one app (one event loop)."""

    def __init__(self, bodies: LargeBodies) -> None:
        self.bodies = bodies
        self._free = asyncio.Semaphore(bodies.max_concurrent)
        self._taken = 0

    async def take(self) -> bool:
        try:
            await asyncio.wait_for(self._free.acquire(), self.bodies.wait_s)
        except TimeoutError:
            return False
        self._taken += 1
        return True

    async def give_back(self) -> None:
        self._taken -= 1
        self._free.release()
        if self._taken == 0 and self.bodies.give_back_memory:
            # The burst is over: its bodies' memory is free, but glibc keeps most of it.
            await asyncio.get_running_loop().run_in_executor(None, _trim_heap)


class UploadLimit:
    """ASGI middleware enforcing the body limits of the module docstring."""

    def __init__(self, app: ASGIApp, max_bytes: int, *,
                 timeouts: ClientTimeouts | None = None, large: LargeBodies | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeouts = timeouts or ClientTimeouts()
        self.slots = _Slots(large or LargeBodies())
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _refuse(PayloadTooLarge(self.max_bytes), scope, receive, send)
            return
        body = _Body(self, declared)
        if declared is not None and declared > self.slots.bodies.threshold_bytes \
                and not await body.take_slot():
            await _refuse(ServerBusy(self.slots.bodies), scope, receive, send)
            return
        try:
            await self.app(scope, body.receiving(receive), body.sending(send))
        except (PayloadTooLarge, RequestTimeout, ServerBusy):
            if body.refusal is None or body.answered:
                raise
        finally:
            await body.release()
        if body.refusal is not None and not body.answered:
            await _refuse(body.refusal, scope, receive, send)


class _Body:
    """One request's body as it streams in: bytes, time, slot, and the refusal if any."""

    def __init__(self, limit: UploadLimit, declared: int | None) -> None:
        self.limit = limit
        self.declared = declared
        self.received = 0
        self.started: float | None = None
        self.waited_s = 0.0  # for a slot: not the client's fault
        self.complete = False
        self.has_slot = False
        self.refusal: StarletteHTTPException | None = None
        self.answered = False  # the app's answer started before any refusal

    async def take_slot(self) -> bool:
        waiting = self.limit.clock()
        self.has_slot = await self.limit.slots.take()
        self.waited_s += self.limit.clock() - waiting
        return self.has_slot

    async def release(self) -> None:
        if self.has_slot:
            self.has_slot = False
            await self.limit.slots.give_back()

    def _refuse(self, error: StarletteHTTPException) -> StarletteHTTPException:
        if not self.answered:
            self.refusal = error
        return error

    def receiving(self, receive: Receive) -> Receive:
        timeouts, clock = self.limit.timeouts, self.limit.clock

        async def guarded_receive() -> Message:
            if self.complete or self.refusal is not None:
                return await receive()  # after the body: a disconnect, whenever it comes
            now = clock()
            if self.started is None:
                self.started = now
            deadline = self.started + self.waited_s + timeouts.body_allowance_s(self.received)
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - now))
            except TimeoutError:
                raise self._refuse(RequestTimeout(
                    self.received, clock() - self.started - self.waited_s, timeouts)) from None
            if message["type"] != "http.request":
                self.complete = True
                return message
            self.received += len(message.get("body", b""))
            if self.received > self.limit.max_bytes:
                # An HTTPException, so FastAPI's form parser lets it through.
                raise self._refuse(PayloadTooLarge(self.limit.max_bytes))
            if not self.has_slot and self.received > self.limit.slots.bodies.threshold_bytes \
                    and not await self.take_slot():
                raise self._refuse(ServerBusy(self.limit.slots.bodies))
            self.complete = not message.get("more_body", False)
            return message

        return guarded_receive

    def sending(self, send: Send) -> Send:
        async def guarded_send(message: Message) -> None:
            if self.refusal is not None:
                return  # the app's answer to the refusal: replaced by the refusal's own
            if message["type"] == "http.response.start":
                self.answered = True
            await send(message)

        return guarded_send


_CODES = {408: "REQUEST_TIMEOUT", 413: "PAYLOAD_TOO_LARGE", 503: "SERVER_BUSY"}


async def _refuse(error: StarletteHTTPException, scope: Scope, receive: Receive,
                  send: Send) -> None:
    headers = {**(error.headers or {}), "Connection": "close"}
    response = error_response(error.status_code, ErrorPublic(
        code=_CODES[error.status_code], message=str(error.detail)), headers)
    await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to trim
        return None
    if trim is not None:
        trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def _trim_heap() -> None:
    """Hand the allocator's free pages back to the system (glibc's ``malloc_trim(0)``, which
    releases whole free pages in every arena; a no-op elsewhere)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
