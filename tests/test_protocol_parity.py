"""The counter and the portal speak one protocol (`counter.protocol`): every error code and
class either side emits is a member of its enum, every path the counter calls is served, and
no side spells a path of its own.

Two kinds of check: the source of both sides read as code (every `StorageError`, `ApiError`,
`SyncError`, halt and rejection reason), and a real portal on loopback answering hostile
requests, whose every error answer must name a declared class and code.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NotRequired, get_origin, get_type_hints

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from counter.protocol import (
    API,
    COUNTER_CALLS,
    ApiPath,
    EnrollRequest,
    ErrorClass,
    ErrorCode,
    PushEntry,
    PushRequest,
)
from portal.server import ThreadedPortal

ROOT = Path(__file__).resolve().parent.parent
COUNTER_SIDE = sorted((ROOT / "counter").rglob("*.py"))
PORTAL_SIDE = sorted(
    p for p in (ROOT / "portal").rglob("*.py") if "hub" not in p.relative_to(ROOT).parts
)
CODES = {c.value for c in ErrorCode}
CLASSES = {c.value for c in ErrorClass}
# A rejection reason: a code, a colon, words ("malformed: the payload is not …").
REASON = re.compile(r"^([a-z][a-z_]+): ")


def _calls(paths: list[Path], name: str) -> Iterator[tuple[Path, ast.Call]]:
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if called == name:
                    yield path, node


def _literal(node: ast.expr) -> str | None:
    """A str constant, an ErrorCode/ErrorClass member, or None (computed: checked apart)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        enum = {"ErrorCode": ErrorCode, "ErrorClass": ErrorClass}.get(node.value.id)
        if enum is not None:
            return str(enum[node.attr].value)
    return None


def _texts(paths: list[Path]) -> Iterator[tuple[Path, str]]:
    """Every str constant, and the leading constant of every f-string."""
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                yield path, node.value
            elif isinstance(node, ast.JoinedStr) and node.values:
                first = node.values[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    yield path, first.value


@pytest.mark.parametrize(
    ("side", "call", "class_at", "code_at"),
    [
        ("portal", "StorageError", None, 0),
        ("portal", "ApiError", 1, 2),
        ("portal", "Halt", 0, 1),
        ("counter", "SyncError", 0, 1),
    ],
)
def test_every_error_raised_names_a_declared_class_and_code(
    side: str, call: str, class_at: int | None, code_at: int
) -> None:
    paths = PORTAL_SIDE if side == "portal" else COUNTER_SIDE
    seen = 0
    for path, node in _calls(paths, call):
        if len(node.args) <= code_at:
            continue  # a definition's super() call, or keyword arguments only
        where = f"{path.relative_to(ROOT)}:{node.lineno}"
        code = _literal(node.args[code_at])
        if code is None:
            arg = node.args[code_at]
            # f"audit_{kind}": the witness's two alarms
            if isinstance(arg, ast.JoinedStr):
                assert {"audit_rollback", "audit_fork"} <= CODES, where
                continue
            continue  # a variable passed along (err.code, exc.code): checked where it is made
        assert code in CODES, f"{where}: {call} code {code!r} is not in ErrorCode"
        if class_at is not None:
            cls = _literal(node.args[class_at])
            if cls is not None:
                assert cls in CLASSES, f"{where}: {call} class {cls!r} is not in ErrorClass"
        seen += 1
    assert seen > 0, f"no {call} found: the scan no longer sees the code"


def _reasons(paths: list[Path]) -> Iterator[tuple[Path, str]]:
    """The texts a reason is made of: `protocol.reason(code, …)` calls, returned text, text
    given to `reason` (or to a module constant), and the (seq, reason) pairs of a push."""
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            value: ast.expr | None = None
            func = node.func if isinstance(node, ast.Call) else None
            if func is not None and "reason" in (
                getattr(func, "id", ""),
                getattr(func, "attr", ""),
            ):
                assert isinstance(node, ast.Call)
                code = _literal(node.args[0]) if node.args else None
                if code is not None:  # reason(ErrorCode.X, …): typed, seen as found
                    yield path, f"{code}: "
                continue
            if isinstance(node, ast.Return):
                value = node.value
            elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                name = node.targets[0].id
                if name == "reason" or name.isupper():
                    value = node.value
            elif isinstance(node, ast.Tuple) and len(node.elts) == 2:
                value = node.elts[1]  # (seq, reason)
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                yield path, value.value
            elif isinstance(value, ast.JoinedStr) and value.values:
                first = value.values[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    yield path, first.value


REASON_MAKERS = {
    "portal": [p for p in PORTAL_SIDE if p.stem == "storage" or "storage" in p.parts],
    "counter": [p for p in COUNTER_SIDE if "sync" in p.parts],
}


@pytest.mark.parametrize("side", ["portal", "counter"])
def test_every_rejection_reason_starts_with_a_declared_code(side: str) -> None:
    """Reasons are stored and shown ("malformed: …", "unknown_dossier: …"): the word before
    the colon is the machine-readable part and must be a code both sides know."""
    found = set()
    for path, text in _reasons(REASON_MAKERS[side]):
        m = REASON.match(text)
        if m:
            found.add(m.group(1))
            assert m.group(1) in CODES, f"{path.relative_to(ROOT)}: reason {text!r}"
    assert {"malformed", "unknown_kind"} <= found, "the scan no longer sees the reasons"


def test_no_side_spells_an_api_path_of_its_own() -> None:
    """`/api/v1…` is written in `counter.protocol` only: both sides use `ApiPath`."""
    for path in COUNTER_SIDE + PORTAL_SIDE:
        if path.name == "protocol.py":
            continue
        for node_path, text in _texts([path]):
            if " " in text:
                continue  # words (a docstring, a message) may name a path
            assert API not in text, f"{node_path.relative_to(ROOT)} spells {text!r}"


def test_every_path_the_counter_calls_is_served_by_the_portal(tmp_path: Path) -> None:
    from portal.app import create_app
    from portal.storage import SQLiteStorage

    app = create_app(SQLiteStorage(tmp_path / "portal.db"))
    served = {
        (method, route.path)
        for route in app.routes
        for method in (getattr(route, "methods", None) or ())
    }
    for method, path in COUNTER_CALLS:
        assert (method, str(path)) in served, (method, path)
    assert {p for _, p in served if p.startswith(API)} == {p.value for p in ApiPath}


# -- a real portal's error answers ---------------------------------------------------


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadedPortal]:
    with ThreadedPortal(tmp_path_factory.mktemp("portal") / "portal.db") as p:
        yield p


def _check_error(resp: httpx.Response) -> None:
    if resp.status_code < 400:
        return
    error = resp.json()["error"]
    assert error["class"] in CLASSES, resp.text
    assert error["code"] in CODES, resp.text


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=12,
)
device_calls = st.sampled_from(
    [(m, str(p)) for m, p in COUNTER_CALLS]
    + [("GET", str(p)) for p in ApiPath if "/admin/" in p]
    + [("POST", str(ApiPath.ADMIN_STATUS)), ("GET", f"{API}/nowhere")]
)
bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"after_seq": st.integers(-5, 5), "entries": st.lists(json_values, max_size=3)}
    ),
    st.fixed_dictionaries(
        {
            "enrollment_code": st.text(max_size=10),
            "device_id": st.text(max_size=10),
            "device_secret": st.text(max_size=10),
            "agency_code": st.text(max_size=6),
            "counter_no": st.integers(-3, 200),
        }
    ),
)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    call=device_calls,
    body=bodies,
    token=st.sampled_from(["", "Bearer nope", "Bearer " + "x" * 40, "Basic a"]),
    query=st.dictionaries(
        st.sampled_from(["after", "limit", "device", "agency"]), st.text(max_size=6), max_size=2
    ),
)
def test_every_error_a_hostile_request_gets_is_declared(
    portal: ThreadedPortal,
    call: tuple[str, str],
    body: object,
    token: str,
    query: dict[str, str],
) -> None:
    method, path = call
    headers = {"authorization": token} if token else {}
    with httpx.Client(base_url=portal.url, timeout=10) as http:
        sends = method in ("POST", "PUT")
        resp = http.request(
            method, path, params=query, headers=headers, json=body if sends else None
        )
    _check_error(resp)


def test_garbage_bodies_get_declared_errors(portal: ThreadedPortal) -> None:
    with httpx.Client(base_url=portal.url, timeout=10) as http:
        for method, path in COUNTER_CALLS:
            for content in (b"{", b"\xff\xfe", b'{"a": "\\u0000"}', b"x" * 100):
                resp = http.request(method, path, content=content)
                assert resp.status_code >= 400
                _check_error(resp)


# -- the bodies the counter sends are the typed ones the protocol declares -----------------------


def _keys(typed: Any) -> tuple[set[str], set[str]]:
    """(required, all) keys of a TypedDict. Read from its hints: `counter.protocol` postpones
    annotations, so Python 3.11's `__optional_keys__` does not see `NotRequired`."""
    hints = get_type_hints(typed, include_extras=True)
    optional = {k for k, hint in hints.items() if get_origin(hint) is NotRequired}
    return set(hints) - optional, set(hints)


def test_the_openapi_document_describes_the_typed_bodies(portal: ThreadedPortal) -> None:
    """`counter.protocol`'s TypedDicts and the served OpenAPI document name the same fields:
    a field added to one and not the other fails here."""
    with httpx.Client(base_url=portal.url, timeout=10) as http:
        schemas = http.get(ApiPath.OPENAPI).json()["components"]["schemas"]
    for name, typed in (
        ("EnrollRequest", EnrollRequest),
        ("PushRequest", PushRequest),
        ("Entry", PushEntry),
    ):
        assert set(schemas[name]["properties"]) == _keys(typed)[1], name
        assert set(schemas[name].get("required", [])) <= _keys(typed)[0], name


def test_the_counter_sends_enroll_and_push_bodies_of_the_declared_shape(
    tmp_path: Path, portal: ThreadedPortal
) -> None:
    """A real counter enrolls and pushes to a real portal; every body it sent (read off the
    wire by an httpx hook) has the keys of `EnrollRequest`, `PushRequest` and `PushEntry`,
    a stub entry (a payload the counter cannot send) included, and the portal took them."""
    import json

    from counter.sync import sync_once
    from counter.sync.once import make_client
    from portal import admin
    from tests.support.sync import AGENCY, make_counter, receive_some

    sent: list[tuple[str, dict[str, Any]]] = []

    def on_the_wire(request: httpx.Request) -> None:
        if request.method == "POST" and request.url.path in (ApiPath.ENROLL, ApiPath.PUSH):
            sent.append((request.url.path, json.loads(request.read())))

    code = admin.create_enrollment_code(portal.storage, AGENCY, 3)
    c = make_counter(tmp_path, 3, portal.url, code)
    receive_some(c, 3)
    # An entry an older store kept with a NUL in its text (the portal cannot store it) goes
    # out as a stub.
    broken = c.store.conn.execute("SELECT max(seq) FROM outbox").fetchone()[0]
    with c.store.write():
        c.store.conn.execute(
            """UPDATE outbox SET payload = '{"note": "a\\u0000b"}' WHERE seq = ?""", (broken,)
        )
    client = make_client(c.config)
    client.event_hooks["request"] = [on_the_wire]
    with client:
        report = sync_once(c.store, c.config, client=client)
    assert report.pushed >= 1 and report.error is None, report

    enrolls = [body for path, body in sent if path == ApiPath.ENROLL]
    pushes = [body for path, body in sent if path == ApiPath.PUSH]
    assert len(enrolls) == 1 and pushes
    required, allowed = _keys(EnrollRequest)
    assert required <= set(enrolls[0]) <= allowed
    entries = [e for body in pushes for e in body["entries"]]
    for body in pushes:
        assert set(body) == _keys(PushRequest)[1]
    required, allowed = _keys(PushEntry)
    for entry in entries:
        assert required <= set(entry) <= allowed, entry
    stubs = [e for e in entries if "local_reject" in e]
    assert [e["seq"] for e in stubs] == [broken] and stubs[0]["payload"] is None
    assert all(isinstance(e["payload"], dict) for e in entries if e not in stubs)
