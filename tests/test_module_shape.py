"""The shape the next engineer relies on, for the homes issue #17 split (the desk, the
exports, the command line, validation, the store): `Desk` stays the one façade with real
return types, and no module grows past 500 lines without saying why in its docstring.
"""

from __future__ import annotations

import ast
import inspect
import typing
from pathlib import Path

import pytest

import counter.sync
from counter.desk import Desk

ROOT = Path(__file__).resolve().parent.parent
SPLIT_HOMES = (
    "counter/desk",
    "counter/exports",
    "counter_cli",
    "counter/validation.py",
    "counter/provinces.py",
    "counter/masking.py",
    "counter/store.py",
    "portal/page.py",
    "portal/page_words.py",
    "portal/page_view.py",
    "portal/page_render.py",
    "portal/hub",
)
LIMIT = 500


def _public_members() -> list[str]:
    return [n for n, _ in inspect.getmembers(Desk) if not n.startswith("_")]


@pytest.mark.parametrize("name", _public_members())
def test_every_desk_method_the_screens_call_has_a_real_return_type(name: str) -> None:
    """`Any` (or nothing) where a type is known lets a screen read a field that is not
    there; mypy can only check what is typed."""
    member = inspect.getattr_static(Desk, name)
    func = member.fget if isinstance(member, property) else getattr(member, "__func__", member)
    if not callable(func):
        return
    hints = typing.get_type_hints(func, localns=vars(counter.sync))
    assert "return" in hints, f"Desk.{name} has no return type"
    assert hints["return"] is not typing.Any, f"Desk.{name} returns Any"
    # A list of Any hides its rows' type; a dict[str, Any] is a JSON document (a draft, a
    # print document) and its own typing is 17-print's typed documents.
    if typing.get_origin(hints["return"]) in (list, tuple, set, frozenset):
        for arg in typing.get_args(hints["return"]):
            assert arg is not typing.Any, f"Desk.{name} returns a sequence of Any"


def test_sync_status_is_the_sync_modules_type() -> None:
    hints = typing.get_type_hints(Desk.sync_status, localns=vars(counter.sync))
    assert hints["return"] is counter.sync.SyncStatus


def _modules() -> list[Path]:
    found: list[Path] = []
    for home in SPLIT_HOMES:
        path = ROOT / home
        found += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return found


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_each_module_says_what_it_is_and_stays_short(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    doc = ast.get_docstring(ast.parse(text)) or ""
    assert doc, f"{path.name} has no docstring saying what it is"
    lines = text.count("\n")
    if lines > LIMIT:
        assert f"{LIMIT} lines" in doc, f"{path.name}: {lines} lines and no stated reason"
