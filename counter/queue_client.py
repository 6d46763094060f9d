"""How a counter (or a kiosk) reaches the queue: on its own store, or through the centre hub.

`QueueService` is what screens talk to. `LocalQueue` runs the engine on the counter's own
SQLite store (single counter, no hub configured). `HubQueue` talks to the centre hub over HTTP
with short timeouts; when the hub cannot be reached it raises `HubUnavailable` with a clear
Vietnamese message, and everything else on the counter keeps working.

A ticket printed at a kiosk is a print job row: written in the issuing transaction when the
engine is local, right after the hub's answer otherwise (the hub has no printer).

Outside the `counter.queue` package on purpose: the package runs on any SQLite file (the hub's
too); this module needs the counter's `Store`, the print spool and an HTTP client.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import sqlite_utils

from counter import spool

if TYPE_CHECKING:  # httpx (~80 ms to import) loads when a hub client is made, not at start-up
    import httpx
from counter.documents import TicketData
from counter.errors import AuthError, CounterError, IllegalTransition, InvalidInput, NotFound
from counter.queue import (
    Call,
    QueueEngine,
    QueueError,
    QueueSettings,
    QueueStats,
    QueueView,
    Ticket,
    settings_from,
    upgrade_queue_tables,
)
from counter.store import Store
from counter.timeutil import Clock, parse_iso, system_clock

_T = TypeVar("_T")


class HubUnavailable(CounterError):
    """The centre queue hub did not answer; the counter works on, without the queue."""

    def __init__(self, url: str, why: str = ""):
        detail = f" ({why})" if why else ""
        super().__init__(
            f"Không kết nối được máy chủ hàng đợi {url}{detail}. Các chức năng khác vẫn dùng "
            "bình thường; báo bộ phận CNTT nếu lỗi kéo dài.",
            f"The queue hub {url} is unreachable{detail}. Everything else still works.",
        )
        self.url = url


class QueueService(Protocol):
    """The queue as one counter (or kiosk) sees it. Every method may block briefly: call it
    from a worker thread in the UI. Errors are `CounterError`s with a Vietnamese message."""

    settings: QueueSettings
    counter_no: int

    def issue(
        self,
        area: str,
        *,
        priority: str = "",
        person: str = "",
        channel: str = "kiosk",
        printer: str | None = None,
    ) -> Ticket: ...

    def call_next(self) -> Ticket | None: ...

    def call(self, number: str) -> Ticket: ...

    def recall(self) -> Ticket: ...

    def start(self) -> Ticket: ...

    def no_show(self) -> Ticket: ...

    def hold(self) -> Ticket: ...

    def unhold(self, number: str) -> Ticket: ...

    def transfer(self, *, area: str | None = None, counter: int | None = None) -> Ticket: ...

    def finish(self, dossiers: tuple[str, ...] = ()) -> Ticket: ...

    def link_dossier(self, code: str) -> Ticket: ...

    def current(self) -> Ticket | None: ...

    def view(self) -> QueueView: ...

    def calls_since(self, after: int) -> list[Call]: ...

    def stats(self) -> QueueStats: ...

    def log(self, start: date, end: date) -> list[dict[str, Any]]: ...

    def close(self) -> None: ...


def ticket_document(ticket: Ticket, settings: QueueSettings, centre: str) -> TicketData:
    """The queue ticket (phiếu số thứ tự) that a ticket's print job prints."""
    return TicketData(
        number=ticket.number,
        area_name=settings.area(ticket.area).name,
        issued_at=ticket.issued_at,
        people_ahead=ticket.people_ahead,
        centre=centre,
        counter_no=ticket.target_counter,
    )


def enqueue_ticket_print(
    db: sqlite_utils.Database,
    ticket: Ticket,
    settings: QueueSettings,
    *,
    centre: str,
    printer: str,
    now: datetime,
) -> int:
    return spool.enqueue(
        db,
        kind="ticket",
        ref=f"ticket:{ticket.day}:{ticket.number}",
        printer=printer,
        document=ticket_document(ticket, settings, centre),
        now=now,
    )


class LocalQueue:
    """The engine inside the app, on the counter's own store (one lock, one connection)."""

    def __init__(
        self,
        store_path: str | Any,
        settings: QueueSettings,
        *,
        counter_no: int,
        centre: str = "",
        clock: Clock = system_clock,
    ):
        self.settings = settings
        self.counter_no = counter_no
        self.centre = centre
        self.clock = clock
        self._store = Store(store_path)
        self._lock = threading.Lock()
        upgrade_queue_tables(self._store.conn)
        self.engine = QueueEngine(self._store, settings, clock)
        self.engine.closes_days = True

    @classmethod
    def for_config(cls, config: Any, *, clock: Clock = system_clock) -> LocalQueue:
        return cls(
            config.db_path,
            settings_from(config),
            counter_no=config.counter.number,
            centre=config.agency.centre,
            clock=clock,
        )

    def _run(self, fn: Callable[[], _T]) -> _T:
        """One engine call at a time: the engine's connection is not shared between threads."""
        with self._lock:
            return fn()

    def issue(
        self,
        area: str,
        *,
        priority: str = "",
        person: str = "",
        channel: str = "kiosk",
        printer: str | None = None,
    ) -> Ticket:
        def on_issued(db: sqlite_utils.Database, t: Ticket) -> None:
            if printer:
                enqueue_ticket_print(
                    db, t, self.settings, centre=self.centre, printer=printer, now=self.clock()
                )

        return self._run(
            lambda: self.engine.issue(
                area, priority=priority, person=person, channel=channel, on_issued=on_issued
            )
        )

    def call_next(self) -> Ticket | None:
        return self._run(lambda: self.engine.call_next(self.counter_no, self.settings.serves))

    def call(self, number: str) -> Ticket:
        return self._run(lambda: self.engine.call(self.counter_no, number))

    def recall(self) -> Ticket:
        return self._run(lambda: self.engine.recall(self.counter_no))

    def start(self) -> Ticket:
        return self._run(lambda: self.engine.start(self.counter_no))

    def no_show(self) -> Ticket:
        return self._run(lambda: self.engine.no_show(self.counter_no))

    def hold(self) -> Ticket:
        return self._run(lambda: self.engine.hold(self.counter_no))

    def unhold(self, number: str) -> Ticket:
        return self._run(lambda: self.engine.unhold(number))

    def transfer(self, *, area: str | None = None, counter: int | None = None) -> Ticket:
        return self._run(
            lambda: self.engine.transfer(self.counter_no, area=area, to_counter=counter)
        )

    def finish(self, dossiers: tuple[str, ...] = ()) -> Ticket:
        return self._run(lambda: self.engine.finish(self.counter_no, dossiers))

    def link_dossier(self, code: str) -> Ticket:
        return self._run(lambda: self.engine.link_dossier(self.counter_no, code))

    def current(self) -> Ticket | None:
        return self._run(lambda: self.engine.current(self.counter_no))

    def view(self) -> QueueView:
        return self._run(self.engine.view)

    def calls_since(self, after: int) -> list[Call]:
        return self._run(lambda: self.engine.calls_since(after))

    def stats(self) -> QueueStats:
        return self._run(self.engine.stats)

    def log(self, start: date, end: date) -> list[dict[str, Any]]:
        return self._run(lambda: self.engine.log(start, end))

    def close(self) -> None:
        with self._lock:
            self._store.close()


_ERRORS: dict[str, type[CounterError]] = {
    "AuthError": AuthError,
    "QueueError": QueueError,
    "IllegalTransition": IllegalTransition,
    "NotFound": NotFound,
    "CounterError": CounterError,
}


class HubQueue:
    """The centre hub over HTTP. Short timeouts; one retry with the same request id, so a
    lost reply never hands this counter a second ticket."""

    def __init__(
        self,
        url: str,
        settings: QueueSettings,
        *,
        counter_no: int,
        centre: str = "",
        store_path: str | Any | None = None,
        clock: Clock = system_clock,
        timeout: float | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        self.url = url.rstrip("/")
        self.settings = settings
        self.counter_no = counter_no
        self.centre = centre
        self.clock = clock
        self._store_path = store_path
        self._store: Store | None = None
        self._lock = threading.Lock()
        import httpx

        t = timeout or settings.timeout_seconds
        self._client = httpx.Client(
            base_url=self.url,
            timeout=httpx.Timeout(t, connect=min(t, 1.0)),
            transport=transport,
            headers={
                "X-Counter": str(counter_no),
                **({"Authorization": f"Bearer {settings.hub_token}"} if settings.hub_token else {}),
            },
        )

    @classmethod
    def for_config(cls, config: Any, *, clock: Clock = system_clock) -> HubQueue:
        s = settings_from(config)
        return cls(
            s.hub_url,
            s,
            counter_no=config.counter.number,
            centre=config.agency.centre,
            store_path=config.db_path,
            clock=clock,
        )

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        import httpx

        if method == "POST":
            body = {**(body or {}), "request_id": str(uuid.uuid4())}
        last: Exception | None = None
        for _attempt in range(2):
            try:
                r = self._client.request(method, path, json=body)
            except (httpx.TransportError, httpx.TimeoutException) as exc:
                last = exc
                continue
            return self._answer(r)
        why = type(last).__name__ if last else ""
        if isinstance(last, httpx.TimeoutException):
            why = "quá thời gian chờ"
        elif isinstance(last, httpx.ConnectError):
            why = "không kết nối được"
        raise HubUnavailable(self.url, why)

    def _answer(self, r: httpx.Response) -> Any:
        try:
            data = r.json()
        except ValueError:
            raise HubUnavailable(self.url, f"HTTP {r.status_code}") from None
        if r.status_code >= 400:
            if not isinstance(data, dict) or "error" not in data:
                raise HubUnavailable(self.url, f"HTTP {r.status_code}")
            kind = data.get("kind", "CounterError")
            if kind == "InvalidInput":
                raise InvalidInput(data.get("field", ""), data["error"], data.get("error_en"))
            raise _ERRORS.get(kind, CounterError)(data["error"], data.get("error_en"))
        return data

    def _ticket(self, data: Any) -> Ticket:
        return Ticket.from_json(data["ticket"])

    def _counter(self, action: str, body: dict[str, Any] | None = None) -> Any:
        return self._request("POST", f"/api/counters/{self.counter_no}/{action}", body)

    def issue(
        self,
        area: str,
        *,
        priority: str = "",
        person: str = "",
        channel: str = "kiosk",
        printer: str | None = None,
    ) -> Ticket:
        data = self._request(
            "POST",
            "/api/tickets",
            {"area": area, "priority": priority, "person": person, "channel": channel},
        )
        t = self._ticket(data)
        if printer and self._store_path is not None:
            with self._lock:
                if self._store is None:
                    self._store = Store(self._store_path)
                with self._store.write() as db:
                    enqueue_ticket_print(
                        db, t, self.settings, centre=self.centre, printer=printer, now=self.clock()
                    )
        return t

    def call_next(self) -> Ticket | None:
        data = self._counter("call-next", {"areas": list(self.settings.serves)})
        return None if data.get("ticket") is None else self._ticket(data)

    def call(self, number: str) -> Ticket:
        return self._ticket(self._counter("call", {"number": number}))

    def recall(self) -> Ticket:
        return self._ticket(self._counter("recall"))

    def start(self) -> Ticket:
        return self._ticket(self._counter("start"))

    def no_show(self) -> Ticket:
        return self._ticket(self._counter("no-show"))

    def hold(self) -> Ticket:
        return self._ticket(self._counter("hold"))

    def unhold(self, number: str) -> Ticket:
        return self._ticket(self._counter("unhold", {"number": number}))

    def transfer(self, *, area: str | None = None, counter: int | None = None) -> Ticket:
        return self._ticket(self._counter("transfer", {"area": area, "counter": counter}))

    def finish(self, dossiers: tuple[str, ...] = ()) -> Ticket:
        return self._ticket(self._counter("finish", {"dossiers": list(dossiers)}))

    def link_dossier(self, code: str) -> Ticket:
        return self._ticket(self._counter("link", {"dossier": code}))

    def current(self) -> Ticket | None:
        data = self._request("GET", f"/api/counters/{self.counter_no}/current")
        return None if data.get("ticket") is None else self._ticket(data)

    def view(self) -> QueueView:
        return QueueView.from_json(self._request("GET", "/api/view"))

    def calls_since(self, after: int) -> list[Call]:
        """Today's calls after sequence number `after`, oldest first (the board's catch-up)."""
        data = self._request("GET", f"/api/board/calls?after={int(after)}")
        return [
            Call(c["seq"], c["counter_no"], c["number"], c["area"], parse_iso(c["at"]), c["recall"])
            for c in data["calls"]
        ]

    def stats(self) -> QueueStats:
        return QueueStats.from_json(self._request("GET", "/api/stats"))

    def log(self, start: date, end: date) -> list[dict[str, Any]]:
        """The centre's queue log from the hub (every counter's tickets, not only this one's)."""
        data = self._request("GET", f"/api/log?from={start.isoformat()}&to={end.isoformat()}")
        return list(data["tickets"])

    def close(self) -> None:
        self._client.close()
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None


def open_queue(config: Any, *, clock: Clock = system_clock) -> QueueService:
    """The queue for this counter: the hub if `[queue] hub_url` is set, else local."""
    if settings_from(config).hub_url:
        return HubQueue.for_config(config, clock=clock)
    return LocalQueue.for_config(config, clock=clock)
