"""The open-loop generator of `bench.bench_portal_open` counts what a citizen waits.

A server on loopback that stops answering for 400 ms in the middle of a run, reached over
one connection: the requests meant to start during the stall cannot be sent until it ends.
A generator that timed each request from when it was sent (coordinated omission) would see
one slow request and a fast p99; charged from its intended start, every one of the ~80
requests meant during the stall is slow, and p99 shows it.
"""

from __future__ import annotations

import asyncio
import time

from bench.bench_portal_open import open_loop

STALL = 0.4


async def _serve_with_stall(stall_from: float) -> tuple[asyncio.Server, int, list[str]]:
    """A keep-alive HTTP/1.1 server answering 200 "ok", silent for STALL seconds from
    `stall_from` (perf_counter); it records the paths it was sent."""
    seen: list[str] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                seen.append(line.split()[1].decode())
                accepts_gzip = False
                while (header := await reader.readline()) not in (b"\r\n", b""):
                    accepts_gzip |= header.lower().startswith(b"accept-encoding: gzip")
                assert accepts_gzip  # asks as a phone does
                now = time.perf_counter()
                if stall_from <= now < stall_from + STALL:
                    await asyncio.sleep(stall_from + STALL - now)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, port, seen


def test_a_stall_is_charged_to_every_request_meant_during_it() -> None:
    async def run() -> tuple[dict[str, float], dict[str, float], list[str]]:
        server, port, seen = await _serve_with_stall(time.perf_counter() + 10**6)
        async with server:
            calm = await open_loop("127.0.0.1", port, ["/a", "/b"], 200, 1.0, max_conns=1)
            server.close()
        server, port, seen = await _serve_with_stall(time.perf_counter() + 0.5)
        async with server:
            stalled = await open_loop("127.0.0.1", port, ["/a", "/b"], 200, 1.5, max_conns=1)
        return calm, stalled, seen

    calm, stalled, seen = asyncio.run(run())
    assert calm["errors"] == stalled["errors"] == 0
    assert calm["sent"] == 200 and stalled["sent"] == 300
    assert set(seen) == {"/a", "/b"}  # the paths in turn
    # About 80 of 300 requests were meant during the 0.4 s stall and waited for the one
    # connection: p99 (the 3rd slowest) carries nearly the whole stall, not just the one
    # request that was at the server when it stalled.
    assert calm["p99_ms"] < 0.5 * STALL * 1000
    assert stalled["max_ms"] >= 0.8 * STALL * 1000
    assert stalled["p99_ms"] >= 0.6 * STALL * 1000
