"""The shape of the packages split in #17 (`counter.sync`, `portal.api`, `portal.openapi`): every public name its callers import is there,
and no submodule hides behind a function of the same name (`counter.sync.push` must be
one thing, or a test patching the module patches a function instead)."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

import counter.sync
import portal.api
import portal.openapi

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("package", [counter.sync, portal.api, portal.openapi])
def test_every_submodule_is_reachable_by_its_name(package: object) -> None:
    name = package.__name__
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{name}.{info.name}")
        assert getattr(package, info.name) is module, f"{name}.{info.name}"


def test_every_exported_name_is_importable() -> None:
    for name in counter.sync.__all__:
        assert getattr(counter.sync, name) is not None, name


def test_each_module_is_below_500_lines_and_says_why_it_is_its_own_home() -> None:
    for path in sorted((ROOT / "counter" / "sync").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert len(text.splitlines()) < 500, path.name
        assert text.startswith('"""'), path.name
