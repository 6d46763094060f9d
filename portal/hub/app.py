"""The centre queue hub: one SQLite file, one engine, an HTTP API for every counter and kiosk,
and the waiting-hall board.

All writes are group-committed on the event loop: the requests that reach it in one turn of
the loop run one after another inside a single `BEGIN IMMEDIATE` transaction (each in its own
savepoint, so one refusal does not undo the others) and are answered only after the COMMIT is on
disk. Two counters pressing "call next" at the same instant are therefore two steps of one
serial loop and never get the same ticket, and 50 counters pressing together cost a few fsyncs,
not 50. (A writer thread did the same before; handing each request to it and back through the
GIL cost more than the SQLite work itself.) Only the COMMIT leaves the loop: it runs in a commit
thread of its own, so during its fsync the loop goes on reading requests and answering reads;
the next batch starts when it has ended (one connection), and durability is unchanged
(`synchronous=FULL`, nobody answered before the COMMIT returned).

The waiting hall follows `/api/board/events`, a server-sent event stream: one `call` event per
call or recall, its `id` the call's sequence number (the queue event id), so a board that
reconnects (the browser sends `Last-Event-ID`) gets exactly the calls it missed, in order;
`state` events carry the public board (who serves what, waiting counts) and `time` events the
hub's Vietnam time. After each group commit the open streams are woken once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from counter.errors import CounterError, InvalidInput
from counter.queue import (
    Call,
    QueueEngine,
    QueueSettings,
    create_queue_tables,
    upgrade_queue_tables,
)
from counter.store import Store
from counter.timeutil import Clock, iso, system_clock
from counter.vi_numerals import call_sentence
from portal.hub.board import board_page
from portal.hub.hall_audio import HallVoice
from portal.hub.wire import (
    MAX_BODY,
    NO_STORE,
    UNAUTHORIZED_EN,
    UNAUTHORIZED_VI,
    BodyTooLarge,
    CounterActionFastPath,
    _bad,
    _body,
    _error,
    _str,
    _ticket_response,
    members_only_with,
)

logger = logging.getLogger(__name__)

# Reading requests and answering refusals live in `portal.hub.wire`; their public names stay
# importable from here, as they were before the split.
__all__ = [
    "KEEPALIVE_SECONDS",
    "MAX_BODY",
    "NO_STORE",
    "STALE_SECONDS",
    "STATE_EVERY_SECONDS",
    "UNAUTHORIZED_EN",
    "UNAUTHORIZED_VI",
    "BodyTooLarge",
    "Hub",
    "create_app",
]

KEEPALIVE_SECONDS = 15.0  # a `time` event this often keeps proxies and the clock honest
STATE_EVERY_SECONDS = 0.25  # at most this often a board gets the whole board again
STALE_SECONDS = 120  # a call older than this when it reaches a board is listed, not spoken


class Hub:
    """The engine on the hub's own file, with group-committed durable writes.

    Writes run on the event loop in batches (see the module doc); reads (board, current ticket,
    figures) use a second connection (WAL).
    """

    def __init__(
        self,
        db_path: Path | str,
        settings: QueueSettings,
        *,
        centre: str = "",
        clock: Clock = system_clock,
        audio_dir: Path | None = None,
    ):
        self.settings = settings
        self.centre = centre
        self.db_path = db_path
        self.store = Store(db_path, migrate=False)
        with self.store.write() as db:
            create_queue_tables(db, if_not_exists=True)
        upgrade_queue_tables(self.store.conn)
        self.engine = QueueEngine(self.store, settings, clock)
        self.engine.closes_days = True
        self.engine.close_past_days()
        self._reader = Store(db_path, migrate=False)
        self.reader = QueueEngine(self._reader, settings, clock)
        self._pending: list[tuple[Callable[[], Any], asyncio.Future[Any]]] = []
        self._flush_scheduled = False
        self._committing = False  # a batch's COMMIT is under way in the commit thread
        # One thread, so commits keep their order; the loop runs the batch, this the fsync.
        self._committer = ThreadPoolExecutor(1, thread_name_prefix="hub-commit")
        recordings = Path(settings.hall_recordings) if settings.hall_recordings else None
        self.voice = HallVoice(
            audio_dir or Path(db_path).parent / "hall-audio",
            voice=settings.hall_voice,
            recordings=recordings,
        )
        self._changed: asyncio.Event | None = None  # made on the serving loop
        self._state: tuple[int, str] | None = None  # (version, public board JSON)

    def changed(self) -> asyncio.Event:
        """Set (and replaced) after every group commit: the board streams wait on it."""
        if self._changed is None:
            self._changed = asyncio.Event()
        return self._changed

    def _notify(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = asyncio.Event()

    def public_state(self) -> tuple[int, str]:
        """The public board as JSON with the hub's time, computed once per queue version."""
        version = self.reader.version()
        if self._state is None or self._state[0] != version:
            body = {**self.reader.view().to_public_json(), "now": iso(self.reader.now())}
            self._state = (version, json.dumps(body, ensure_ascii=False))
        return self._state

    def call_event(self, call: Call) -> dict[str, Any]:
        """One call as the hall receives it: what to show, what to play, whether to speak."""
        age = (self.reader.now() - call.at).total_seconds()
        return {
            **call.to_public_json(),
            "text": call_sentence(call.number, call.counter_no),
            "clips": self.voice.urls(call.number, call.counter_no),
            "stale": age > STALE_SECONDS,
        }

    def log(self, start: date, end: date) -> list[dict[str, Any]]:
        """The queue log of a range of days, on a connection of its own: a year's log is read
        in a worker thread, not on the event loop that serves the calls."""
        store = Store(self.db_path, migrate=False)
        try:
            return QueueEngine(store, self.settings, self.engine.clock).log(start, end)
        finally:
            store.close()

    async def write(self, fn: Callable[[], Any]) -> Any:
        """Run `fn` (an engine call) in the next group commit; its result once on disk."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Any] = loop.create_future()
        self._pending.append((fn, fut))
        if not self._flush_scheduled and not self._committing:
            self._flush_scheduled = True
            loop.call_soon(self._flush)
        return await fut

    def _flush(self) -> None:
        """Run the waiting writes in one transaction on the loop, then hand its COMMIT (the
        fsync, 1–13 ms here, during which the loop used to serve nobody) to the commit
        thread; the answers go out when it is on disk (`_committed`)."""
        self._flush_scheduled = False
        batch, self._pending = self._pending, []
        if not batch:
            return
        done: list[tuple[asyncio.Future[Any], bool, Any]] = []
        conn = self.store.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except Exception as exc:  # nothing ran: nobody got anything
            for _fn, fut in batch:
                _resolve(fut, False, exc)
            return
        for fn, fut in batch:
            try:  # the engine's own write() is a savepoint inside this transaction
                done.append((fut, True, fn()))
            except Exception as exc:  # refused: its savepoint is rolled back
                done.append((fut, False, exc))
        self._committing = True
        loop = asyncio.get_running_loop()
        commit = loop.run_in_executor(self._committer, self._commit)
        commit.add_done_callback(lambda finished: self._committed(finished, done))

    def _commit(self) -> None:
        """In the commit thread: COMMIT (with `synchronous=FULL`, on disk when it returns);
        a failed one is rolled back, so the next batch is a transaction of its own."""
        conn = self.store.conn
        try:
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _committed(
        self, commit: asyncio.Future[None], done: list[tuple[asyncio.Future[Any], bool, Any]]
    ) -> None:
        """On the loop, once the batch's COMMIT ended: answer its requests (each an error if
        the commit failed: none gets a ticket that is not on disk), wake the boards, and
        start the next batch if writes arrived meanwhile."""
        self._committing = False
        failed = commit.exception()
        if failed is not None:
            logger.error("queue hub: a group commit failed: %s", failed, exc_info=failed)
            done = [(fut, False, failed) for fut, _ok, _value in done]
        for fut, ok, value in done:
            _resolve(fut, ok, value)
        self._notify()
        if self._pending and not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def close(self) -> None:
        self._committer.shutdown(wait=True)  # a COMMIT under way ends first
        self.store.close()
        self._reader.close()


def _resolve(fut: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if fut.done():
        return
    if ok:
        fut.set_result(value)
    else:
        fut.set_exception(value)


def create_app(hub: Hub, *, counter_fast_path: bool = True) -> Starlette:
    """The hub's ASGI app. `counter_fast_path=False` serves the counters' actions through the
    full Starlette stack (the tests compare both paths answer alike)."""
    engine = hub.engine  # writes: only inside hub.write (the writer thread)
    reader = hub.reader  # reads, on the event loop's own connection

    async def ping(request: Request) -> Response:
        return JSONResponse({"ok": True, "day": reader.today()})

    async def issue(request: Request) -> Response:
        try:
            data = await _body(request)
            area, priority, person = (
                _str(data, "area"),
                _str(data, "priority"),
                _str(data, "person"),
            )
            channel = _str(data, "channel") or "kiosk"
            rid = _str(data, "request_id") or None
            t = await hub.write(
                lambda: engine.issue(
                    area, priority=priority, person=person, channel=channel, request_id=rid
                )
            )
        except CounterError as exc:
            return _error(exc)
        return _ticket_response(t)

    async def counter_action(request: Request) -> Response:
        try:
            no = int(request.path_params["counter"])
            if not 1 <= no <= 99:
                raise InvalidInput("counter", "Số quầy từ 1 đến 99", "Counter numbers are 1–99")
            action = request.path_params["action"]
            data = await _body(request)
            rid = _str(data, "request_id") or None
            fn: Callable[[], Any]
            if action == "call-next":
                areas = data.get("areas") or []
                if not isinstance(areas, list) or not all(isinstance(a, str) for a in areas):
                    raise InvalidInput("areas", "Danh sách lĩnh vực không hợp lệ", "Bad areas")
                fn = lambda: engine.call_next(no, tuple(areas), request_id=rid)  # noqa: E731
            elif action == "call":
                number = _str(data, "number")
                fn = lambda: engine.call(no, number, request_id=rid)  # noqa: E731
            elif action == "recall":
                fn = lambda: engine.recall(no, request_id=rid)  # noqa: E731
            elif action == "start":
                fn = lambda: engine.start(no, request_id=rid)  # noqa: E731
            elif action == "no-show":
                fn = lambda: engine.no_show(no, request_id=rid)  # noqa: E731
            elif action == "hold":
                fn = lambda: engine.hold(no, request_id=rid)  # noqa: E731
            elif action == "unhold":
                number = _str(data, "number")
                fn = lambda: engine.unhold(number, request_id=rid)  # noqa: E731
            elif action == "transfer":
                area = _str(data, "area") or None
                to = data.get("counter")
                if to is not None and (not isinstance(to, int) or isinstance(to, bool)):
                    raise InvalidInput("counter", "Số quầy không hợp lệ", "Bad counter number")
                fn = lambda: engine.transfer(no, area=area, to_counter=to, request_id=rid)  # noqa: E731
            elif action == "finish":
                dossiers = data.get("dossiers") or []
                if not isinstance(dossiers, list) or not all(isinstance(d, str) for d in dossiers):
                    raise InvalidInput("dossiers", "Danh sách hồ sơ không hợp lệ", "Bad dossiers")
                fn = lambda: engine.finish(no, tuple(dossiers), request_id=rid)  # noqa: E731
            elif action == "link":
                code = _str(data, "dossier")
                fn = lambda: engine.link_dossier(no, code, request_id=rid)  # noqa: E731
            else:
                return JSONResponse({"error": "not found", "kind": "NotFound"}, status_code=404)
            t = await hub.write(fn)
        except CounterError as exc:
            return _error(exc)
        except ValueError:
            return _bad("Số quầy không hợp lệ")
        return _ticket_response(t)

    async def current(request: Request) -> Response:
        try:
            no = int(request.path_params["counter"])
        except ValueError:
            return _bad("Số quầy không hợp lệ")
        return _ticket_response(reader.current(no))

    async def board_json(request: Request) -> Response:
        """The public board: numbers, counters, areas, waiting counts, the hub's time."""
        _version, body = hub.public_state()
        return Response(body, media_type="application/json", headers=NO_STORE)

    async def view_json(request: Request) -> Response:
        """The full view (priority classes, on-hold tickets) for the centre's own counters."""
        return JSONResponse(reader.view().to_json(), headers=NO_STORE)

    async def board_events(request: Request) -> Response:
        """The hall's event stream (see the module doc). Resumes after `Last-Event-ID` (sent
        by the browser on reconnect) or `?after=` (the page's first connection)."""
        raw = request.headers.get("last-event-id") or request.query_params.get("after") or "0"
        try:
            after = int(raw)
            if after < 0:
                raise ValueError
        except ValueError:
            return _bad("Last-Event-ID / after: cần một số thứ tự sự kiện")

        async def stream() -> AsyncIterator[str]:
            loop = asyncio.get_running_loop()
            seen, shown, state_at = after, -1, 0.0
            yield "retry: 1000\n\n"
            try:
                while True:
                    woken = hub.changed()
                    for call in reader.calls_since(seen):
                        seen = call.id
                        data = json.dumps(hub.call_event(call), ensure_ascii=False)
                        yield f"id: {call.id}\nevent: call\ndata: {data}\n\n"
                    timeout = KEEPALIVE_SECONDS
                    version, state = hub.public_state()
                    if version != shown:
                        # Calls go out at once; the rest of the board at most every 250 ms.
                        left = STATE_EVERY_SECONDS - (loop.time() - state_at)
                        if left <= 0:
                            shown, state_at = version, loop.time()
                            yield f"event: state\ndata: {state}\n\n"
                        else:
                            timeout = left
                    try:
                        await asyncio.wait_for(woken.wait(), timeout)
                    except TimeoutError:
                        if timeout == KEEPALIVE_SECONDS:
                            now = json.dumps({"now": iso(reader.now())})
                            yield f"event: time\ndata: {now}\n\n"
            except Exception as exc:  # the board reconnects and resumes; say why it had to
                logger.warning("board event stream ended by an error: %s", exc, exc_info=exc)

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={**NO_STORE, "X-Accel-Buffering": "no"},
        )

    async def board_calls(request: Request) -> Response:
        """Today's calls after `?after=` (the terminal board's catch-up; public like the board)."""
        try:
            after = int(request.query_params.get("after", "0"))
        except ValueError:
            return _bad("after: cần một số thứ tự sự kiện")
        calls = [c.to_public_json() for c in reader.calls_since(after)]
        return JSONResponse({"calls": calls, "now": iso(reader.now())}, headers=NO_STORE)

    async def audio(request: Request) -> Response:
        """One clip of the hall's voice (the chime or a word); only the known words."""
        clip = await run_in_threadpool(hub.voice.clip, request.path_params["word"])
        if clip is None:
            return JSONResponse({"error": "no such clip", "kind": "NotFound"}, status_code=404)
        body, media_type = clip
        return Response(body, media_type=media_type, headers={"Cache-Control": "max-age=86400"})

    async def version(request: Request) -> Response:
        return JSONResponse({"version": reader.version()}, headers={"Cache-Control": "no-store"})

    async def stats(request: Request) -> Response:
        return JSONResponse(reader.stats().to_json())

    async def log(request: Request) -> Response:
        """The queue log of a range of days (the supervisor's export), at most a year."""
        try:
            start = date.fromisoformat(request.query_params.get("from", ""))
            end = date.fromisoformat(request.query_params.get("to", ""))
        except ValueError:
            return _bad("Ngày không hợp lệ: cần from và to dạng YYYY-MM-DD")
        if end < start or (end - start).days > 366:
            return _bad("Khoảng ngày không hợp lệ: từ ngày đến ngày, tối đa một năm")
        tickets = await run_in_threadpool(hub.log, start, end)
        return JSONResponse({"tickets": tickets}, headers={"Cache-Control": "no-store"})

    async def settings(request: Request) -> Response:
        s = hub.settings
        return JSONResponse(
            {
                "centre": hub.centre,
                "areas": [a.__dict__ for a in s.areas_def],
                "priority_classes": [p.__dict__ for p in s.priority_classes],
                "issue_start": s.issue_start.strftime("%H:%M"),
                "issue_end": s.issue_end.strftime("%H:%M"),
            }
        )

    async def board(request: Request) -> Response:
        view = reader.view()
        return HTMLResponse(
            board_page(
                view,
                hub.centre,
                now=reader.now(),
                sound=hub.settings.hall_sound,
                keep=hub.settings.board_calls,
                lang=request.query_params.get("lang", "vi"),
            ),
            headers=NO_STORE,
        )

    members_only = partial(members_only_with, hub.settings.hub_token)
    counter_actions = members_only(counter_action)
    routes = [
        # The counters' actions first: Starlette tries routes in order, and call-next under
        # 50 counters is the path that must be quick (16 regex tries cost it ~25 µs).
        Route("/api/counters/{counter}/current", members_only(current)),
        Route("/api/counters/{counter}/{action}", counter_actions, methods=["POST"]),
        # Public: what the waiting hall and a kiosk's screen show anyway.
        Route("/", board),
        Route("/board", board),
        Route("/api/ping", ping),
        Route("/api/settings", settings),
        Route("/api/board", board_json),
        Route("/api/board/events", board_events),
        Route("/api/board/calls", board_calls),
        Route("/audio/{word}", audio),
        Route("/api/version", version),
        # The centre's own: with a hub token, only its holders.
        Route("/api/view", members_only(view_json)),
        Route("/api/stats", members_only(stats)),
        Route("/api/log", members_only(log)),
        Route("/api/tickets", members_only(issue), methods=["POST"]),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        hub.close()

    app = Starlette(routes=routes, lifespan=lifespan)
    if counter_fast_path:
        app.add_middleware(CounterActionFastPath, handler=counter_actions)
    app.state.hub = hub
    return app
