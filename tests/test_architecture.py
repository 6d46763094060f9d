"""The dependency direction holds: the core never pulls in the UI, printers or servers."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_import_linter_contracts_hold() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "KEPT" in result.stdout and "BROKEN" not in result.stdout


def test_importing_the_whole_core_loads_no_ui_or_printer() -> None:
    """Deferred imports stay deferred at run time too (harlequin's hygiene test)."""
    code = (
        "import sys, pkgutil, importlib, counter\n"
        "for m in pkgutil.iter_modules(counter.__path__):\n"
        "    importlib.import_module('counter.' + m.name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('textual', 'escpos', 'PIL', 'screens', 'printing', 'portal')]\n"
        "print(bad); raise SystemExit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_importing_the_whole_portal_loads_no_terminal_ui() -> None:
    """The servers (portal, the hub) stay headless at run time, deferred imports included."""
    code = (
        "import sys, pkgutil, importlib, portal\n"
        "for m in pkgutil.walk_packages(portal.__path__, 'portal.'):\n"
        "    if not m.name.endswith('__main__'):\n"
        "        importlib.import_module(m.name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'screens')]\n"
        "print(bad); raise SystemExit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _is_test_module(dotted: str) -> bool:
    """`tests.test_x` or `tests.conftest` (or below): modules pytest owns, not a helper's home."""
    parts = dotted.split(".")
    return (
        len(parts) >= 2
        and parts[0] == "tests"
        and (parts[1].startswith("test_") or parts[1] == "conftest")
    )


def imported_test_modules(source: str, package: str) -> list[str]:
    """Every test module (`tests.test_*`, `tests.conftest`) that `source` imports, wherever the
    import is (top level, inside a function, relative, or by name through importlib)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            targets = [node.args[0].value]
        found += [t for t in targets if _is_test_module(t)]
    return found


def _python_files() -> list[Path]:
    return sorted([*(ROOT / "tests").rglob("*.py"), *(ROOT / "bench").rglob("*.py")])


def test_no_module_imports_a_test_module() -> None:
    """What two tests share lives in tests/support/, never in a collected module (nor conftest):
    importing a test module runs its fixtures' imports and collects its tests twice."""
    offenders = {}
    for path in _python_files():
        rel = path.relative_to(ROOT)
        package = ".".join(rel.parent.parts)
        hits = imported_test_modules(path.read_text(encoding="utf-8"), package)
        if hits:
            offenders[str(rel)] = hits
    assert offenders == {}


@pytest.mark.parametrize(
    "source",
    [
        "from tests.test_portal_page import lookup_counter",
        "import tests.test_sync_faults",
        "from tests import test_queue_tui",
        "from tests.conftest import make_config",
        "def f():\n    from tests.test_portal_api import outbox_entries\n",
        "from .test_worktime import X",
        "from . import test_worktime",
        "import importlib\nimportlib.import_module('tests.test_tui_keys')",
    ],
)
def test_the_scan_catches_every_way_to_import_a_test_module(source: str) -> None:
    """The rule above is only as good as its scanner: each spelling of the import is caught."""
    assert imported_test_modules(source, "tests")


def test_the_scan_lets_support_imports_through() -> None:
    source = (
        "from tests.support.sync import AGENCY\nimport tests.support.pg\n"
        "from .support import builders\nfrom tests.support import tui\n"
    )
    assert imported_test_modules(source, "tests") == []


def test_support_holds_no_tests_and_every_test_module_holds_tests() -> None:
    """Helpers live in tests/support/ (never collected); a collected module holds tests."""
    support = ROOT / "tests" / "support"
    assert not list(support.rglob("test_*.py"))
    for path in support.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [
            n.name
            for n in tree.body
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        ]
        assert not [n for n in names if n.startswith(("test_", "Test"))], path
    for path in (ROOT / "tests").glob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        tests = [
            n
            for n in tree.body
            if (
                isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name.startswith("test_")
            )
            or (isinstance(n, ast.ClassDef) and n.name.startswith("Test"))
        ]
        assert tests, (
            f"{path.name} is collected but holds only helpers: move them to tests/support/"
        )


def test_every_package_ships_in_the_distribution() -> None:
    """The class: a new subpackage (counter.queue, portal.storage …) left out of an installed
    counter, which only the checkout's own path hid. setuptools' own finder, fed the include
    list of pyproject.toml, must find every folder holding an __init__.py."""
    import tomllib

    from setuptools import find_packages

    root = Path(__file__).resolve().parent.parent
    found = set(
        find_packages(
            str(root),
            include=tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
                "setuptools"
            ]["packages"]["find"]["include"],
        )
    )
    on_disk = {
        ".".join(init.parent.relative_to(root).parts)
        for top in ("counter", "screens", "printing", "portal", "counter_cli")
        for init in (root / top).rglob("__init__.py")
    }
    assert on_disk and on_disk <= found, sorted(on_disk - found)
