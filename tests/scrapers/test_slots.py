"""Slots: one request limit shared by the event loops of several threads (the nightly flow's source tasks)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from scrapers.slots import Slots


def test_several_event_loops_share_one_limit() -> None:
    slots = Slots(3)
    lock, now, peak = threading.Lock(), [0], [0]

    async def request() -> None:
        async with slots:
            with lock:
                now[0] += 1
                peak[0] = max(peak[0], now[0])
            await asyncio.sleep(0.02)
            with lock:
                now[0] -= 1

    async def source() -> None:
        await asyncio.gather(*(request() for _ in range(8)))

    threads = [threading.Thread(target=asyncio.run, args=(source(),)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    assert peak[0] == 3 and slots.in_use_peak == 3 and slots.in_use == 0


async def test_a_cancelled_waiter_loses_no_slot() -> None:
    slots = Slots(1)
    await slots.acquire()
    waiter = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0)
    waiter.cancel()  # a source whose budget ran out while it waited for a slot
    with pytest.raises(asyncio.CancelledError):
        await waiter
    slots.release()
    async with asyncio.timeout(5):
        await slots.acquire()  # the slot is free again, not handed to the cancelled waiter
    assert slots.in_use == 1
    # Cancelled just as the slot was handed over: it is passed on, not lost.
    late = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0)
    slots.release()  # schedules the hand-over to `late`…
    late.cancel()  # …which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await late
    async with asyncio.timeout(5):
        await slots.acquire()
    assert slots.in_use == 1


def test_at_least_one_slot() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Slots(0)
