"""`portal.batching.Coalescer`: pages read together, each gets its own answer, failures stay
within their batch, and a lone read goes out alone at the next loop turn."""

from __future__ import annotations

import asyncio

import pytest

from portal.batching import Coalescer


class Recorder:
    """A fetch that records each batch; `gate` holds a batch at the database until set."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.gate: asyncio.Event | None = None
        self.fail_on: int | None = None

    async def fetch(self, keys: list[int]) -> list[str]:
        self.batches.append(list(keys))
        if self.gate is not None:
            await self.gate.wait()
        if self.fail_on is not None and self.fail_on in keys:
            raise LookupError(f"database down for {self.fail_on}")
        return [f"row {k}" for k in keys]


def test_reads_of_one_turn_go_in_one_batch_and_each_gets_its_own_row() -> None:
    async def main() -> None:
        rec = Recorder()
        reads = Coalescer(rec.fetch)
        rows = await asyncio.gather(*(reads.get(k) for k in range(10)))
        assert rows == [f"row {k}" for k in range(10)]
        assert rec.batches == [list(range(10))]
        assert (reads.batches, reads.keys) == (1, 10)

    asyncio.run(main())


def test_a_lone_read_goes_alone() -> None:
    async def main() -> None:
        rec = Recorder()
        reads = Coalescer(rec.fetch)
        assert await reads.get(7) == "row 7"
        assert await reads.get(8) == "row 8"
        assert rec.batches == [[7], [8]]

    asyncio.run(main())


def test_reads_arriving_while_a_batch_is_out_gather_into_the_next() -> None:
    async def main() -> None:
        rec = Recorder()
        rec.gate = asyncio.Event()
        reads = Coalescer(rec.fetch, max_inflight=1)
        first = asyncio.ensure_future(reads.get(1))
        await asyncio.sleep(0.01)
        assert rec.batches == [[1]]  # out, held at the "database"
        later = [asyncio.ensure_future(reads.get(k)) for k in (2, 3, 4)]
        await asyncio.sleep(0.01)
        assert rec.batches == [[1]], "no second statement while one is in flight"
        rec.gate.set()
        assert await first == "row 1"
        assert await asyncio.gather(*later) == ["row 2", "row 3", "row 4"]
        assert rec.batches == [[1], [2, 3, 4]]

    asyncio.run(main())


def test_batches_are_split_at_max_batch() -> None:
    async def main() -> None:
        rec = Recorder()
        reads = Coalescer(rec.fetch, max_batch=4, max_inflight=3)
        rows = await asyncio.gather(*(reads.get(k) for k in range(10)))
        assert rows == [f"row {k}" for k in range(10)]
        assert rec.batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]

    asyncio.run(main())


def test_a_failing_batch_fails_only_its_own_readers() -> None:
    async def main() -> None:
        rec = Recorder()
        rec.fail_on = 2
        reads = Coalescer(rec.fetch)
        results = await asyncio.gather(*(reads.get(k) for k in (1, 2, 3)), return_exceptions=True)
        assert all(isinstance(r, LookupError) for r in results)
        rec.fail_on = None
        assert await reads.get(5) == "row 5"  # the next batch is unaffected
        assert (reads.batches, reads.keys) == (1, 1)

    asyncio.run(main())


def test_a_fetch_that_answers_the_wrong_number_of_rows_is_an_error() -> None:
    async def short(keys: list[int]) -> list[str]:
        return ["only one"]

    async def main() -> None:
        reads = Coalescer(short)
        results = await asyncio.gather(reads.get(1), reads.get(2), return_exceptions=True)
        assert all(isinstance(r, RuntimeError) for r in results)

    asyncio.run(main())


def test_a_reader_that_gives_up_does_not_disturb_the_others() -> None:
    async def main() -> None:
        rec = Recorder()
        rec.gate = asyncio.Event()
        reads = Coalescer(rec.fetch, max_inflight=1)
        out = asyncio.ensure_future(reads.get(1))
        await asyncio.sleep(0.01)
        impatient = asyncio.ensure_future(reads.get(2))
        patient = asyncio.ensure_future(reads.get(3))
        await asyncio.sleep(0.01)
        impatient.cancel()  # the client hung up while waiting for the next batch
        rec.gate.set()
        assert await out == "row 1"
        assert await patient == "row 3"
        assert rec.batches == [[1], [3]], "a cancelled read is not sent"

    asyncio.run(main())


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Coalescer(Recorder().fetch, max_batch=0)
    with pytest.raises(ValueError):
        Coalescer(Recorder().fetch, max_inflight=0)
