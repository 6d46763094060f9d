"""The dependency direction holds: the core never pulls in the UI, printers or servers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
