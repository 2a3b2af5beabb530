"""Request slots shared by every source of a run: the global concurrency limit, truly global.

The nightly flow runs each source as its own Prefect task, and Prefect's thread-pool task runner runs
each task on its own thread with its own event loop — so an `asyncio.Semaphore` in each source's
client would limit each source alone (38 sources × 8 = 304 requests in flight, not 8). `Slots` is a
semaphore that any number of event loops on any threads can share: a waiter parks on a future of its
own loop, and a release hands the slot to the first waiter through that loop (`call_soon_threadsafe`).
A waiter cancelled while queued (a source whose time budget ran out) leaves the queue; one cancelled
just as a slot was handed to it passes the slot on, so no slot is ever lost.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque


class Slots:
    """A counting semaphore usable from several event loops at once (`async with slots:`)."""

    def __init__(self, n: int) -> None:
        if n < 1:
            raise ValueError(f"at least one request slot is needed, not {n}")
        self.size = n
        self._free = n
        self._lock = threading.Lock()
        self._waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = deque()
        self.in_use_peak = 0  # the most slots ever held at once (for tests and benchmarks)

    @property
    def in_use(self) -> int:
        with self._lock:
            return self.size - self._free

    async def acquire(self) -> None:
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._free > 0 and not self._waiters:
                self._free -= 1
                self.in_use_peak = max(self.in_use_peak, self.size - self._free)
                return
            entry = (loop, loop.create_future())
            self._waiters.append(entry)
        try:
            await entry[1]
        except asyncio.CancelledError:
            with self._lock:
                queued = entry in self._waiters
                if queued:
                    self._waiters.remove(entry)
            if not queued and entry[1].done() and not entry[1].cancelled():
                self.release()  # the slot reached us just as we were cancelled: pass it on
            raise

    def release(self) -> None:
        with self._lock:
            while self._waiters:
                loop, fut = self._waiters.popleft()
                try:
                    loop.call_soon_threadsafe(self._hand_over, fut)
                except RuntimeError:  # that loop is closed: its waiter is gone
                    continue
                return
            self._free += 1

    def _hand_over(self, fut: asyncio.Future[None]) -> None:
        """Runs on the waiter's loop: give it the slot, or pass the slot on if it was cancelled meanwhile."""
        if fut.done():
            self.release()
            return
        with self._lock:
            self.in_use_peak = max(self.in_use_peak, self.size - self._free)
        fut.set_result(None)

    async def __aenter__(self) -> Slots:
        await self.acquire()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.release()
