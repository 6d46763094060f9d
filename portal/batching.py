"""Coalesce concurrent reads of one kind into one database statement.

Under load most of a status page's cost is its PostgreSQL round trip (the client's share: the
send, the wake-ups, psycopg's bookkeeping), not the query itself. Pages that arrive together
are therefore read together: lookups made in the same event-loop turn, or while the database
is busy with earlier batches, go to PostgreSQL as one statement over an array of keys.

This is not a cache: every page reads the database after it arrived, so it never shows an
older state than a lone read would. A lone page goes out at the next loop turn, alone; batches
only form when pages queue up anyway, so batching adds no waiting of its own, and at most
`max_inflight` batches run at once so the rest gather into the next.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Coalescer(Generic[K, V]):
    """`await get(key)` from many tasks; `fetch(keys)` answers a whole batch, in order.

    `fetch` must return one value per key, in the order given; if it raises, every caller
    of that batch gets the exception and later batches are unaffected.
    """

    def __init__(
        self,
        fetch: Callable[[list[K]], Awaitable[Sequence[V]]],
        *,
        max_batch: int = 64,
        max_inflight: int = 2,
    ):
        if max_batch < 1 or max_inflight < 1:
            raise ValueError("max_batch and max_inflight must be at least 1")
        self._fetch = fetch
        self.max_batch = max_batch
        self.max_inflight = max_inflight
        self._pending: list[tuple[K, asyncio.Future[V]]] = []
        self._inflight = 0
        self._scheduled = False
        self.batches = 0  # statements sent, for tests and benchmarks
        self.keys = 0  # keys answered

    async def get(self, key: K) -> V:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[V] = loop.create_future()
        self._pending.append((key, future))
        self._schedule(loop)
        return await future

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        # The flush runs at the next loop turn, after every task already woken in this turn
        # has added its key.
        if not self._scheduled and self._pending and self._inflight < self.max_inflight:
            self._scheduled = True
            loop.call_soon(self._flush, loop)

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        self._scheduled = False
        while self._pending and self._inflight < self.max_inflight:
            batch = self._pending[: self.max_batch]
            del self._pending[: self.max_batch]
            batch = [(key, fut) for key, fut in batch if not fut.cancelled()]
            if not batch:
                continue
            self._inflight += 1
            loop.create_task(self._run(batch, loop))

    async def _run(
        self, batch: list[tuple[K, asyncio.Future[V]]], loop: asyncio.AbstractEventLoop
    ) -> None:
        try:
            values = await self._fetch([key for key, _ in batch])
            if len(values) != len(batch):
                raise RuntimeError(f"fetch returned {len(values)} values for {len(batch)} keys")
        except BaseException as exc:  # every waiter of this batch gets the failure
            for _, fut in batch:
                if fut.done():
                    continue
                if isinstance(exc, asyncio.CancelledError):
                    fut.cancel()
                else:
                    fut.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
        else:
            self.batches += 1
            self.keys += len(batch)
            for (_, fut), value in zip(batch, values, strict=True):
                if not fut.done():
                    fut.set_result(value)
        finally:
            self._inflight -= 1
            self._schedule(loop)
