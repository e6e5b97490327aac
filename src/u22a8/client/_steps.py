"""The I/O a flow asks for, and the bookkeeping of stepping one: the SDK's sans-I/O protocol.

A *flow* is a generator that does all of an operation's thinking (which request, whether to
retry, how long to wait, what the answer means) and yields a *step* each time it needs I/O.
``Client`` and ``AsyncClient`` perform the steps, blocking or with ``await``, and send the
outcome back in (an exception raised by the I/O is thrown in at the ``yield``). A flow that
produces a series (pages, events) yields :class:`Emit` for each item. So everything the two
clients share is written once, in flows, and each client only knows how to do the I/O below.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx

__all__ = ["Flow", "Send", "Sleep", "Drain", "Close", "Lines", "Chunks", "Next", "END", "Emit", "Stepper"]

T = TypeVar("T")


@dataclass(frozen=True)
class Send:
    """Send ``request``; reply: the response (headers only when ``stream``, to be read by steps)."""

    request: httpx.Request
    stream: bool = False


@dataclass(frozen=True)
class Sleep:
    """Wait ``seconds`` before going on; reply: None."""

    seconds: float


@dataclass(frozen=True)
class _OnResponse:
    response: httpx.Response


class Drain(_OnResponse):
    """Read the rest of ``response``'s body, then close it, even if reading fails; reply: None."""


class Close(_OnResponse):
    """Close a streamed ``response`` the flow is done with; reply: None."""


class Lines(_OnResponse):
    """Start reading a streamed ``response`` as text lines; reply: a source for :class:`Next`."""


class Chunks(_OnResponse):
    """Start reading a streamed ``response`` as bytes; reply: a source for :class:`Next`."""


@dataclass(frozen=True)
class Next:
    """The next item of a source from :class:`Lines` or :class:`Chunks`; reply: it, or ``END``."""

    source: Any


@dataclass(frozen=True)
class Emit:
    """Hand ``item`` to whoever iterates the flow; reply: None."""

    item: Any


class _End:
    def __repr__(self) -> str:
        return "END"


END: Any = _End()  # what Next replies once a source is exhausted

Step = Send | Sleep | Drain | Close | Lines | Chunks | Next | Emit
Flow = Generator[Step, Any, T]


class Stepper(Generic[T]):
    """Steps one flow for a driver: iterate it for steps, and answer or fail each one.

    It remembers the streamed responses the flow opened and has not closed, so the driver can
    close them however the flow ends (finished, raised, or abandoned by its consumer).
    """

    def __init__(self, flow: Flow[T]) -> None:
        self._flow = flow
        self._step: Step | None = None
        self._reply: Any = None
        self._error: BaseException | None = None
        self._streams: list[httpx.Response] = []
        self.result: T | None = None

    def __iter__(self) -> Stepper[T]:
        return self

    def __next__(self) -> Step:
        reply, error = self._reply, self._error
        self._reply, self._error = None, None
        try:
            step = self._flow.send(reply) if error is None else self._flow.throw(error)
        except StopIteration as finished:
            self.result = finished.value
            raise StopIteration from None
        if isinstance(step, (Drain, Close)) and step.response in self._streams:
            self._streams.remove(step.response)
        self._step = step
        return step

    def answer(self, reply: Any) -> None:
        if isinstance(self._step, Send) and self._step.stream:
            self._streams.append(reply)
        self._reply = reply

    def fail(self, error: BaseException) -> None:
        self._error = error

    def finish(self) -> list[httpx.Response]:
        """End the flow if it has not ended; return the streams left for the driver to close."""
        self._flow.close()
        left, self._streams = self._streams, []
        return left
