"""The docs stay true to the code: the key table and the README's commands."""

from __future__ import annotations

import re
from pathlib import Path

from screens.keys import keymap_table

ROOT = Path(__file__).resolve().parent.parent


def test_key_table_in_docs_matches_the_bindings() -> None:
    assert keymap_table() in (ROOT / "docs" / "keys.md").read_text(encoding="utf-8")


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(make run[^\n]*)\n(make test[^\n]*)\n```", readme)
    assert block, "README must give `make run` and `make test` together"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "\nmake test\n" in ci


def test_the_architecture_page_names_only_files_that_exist() -> None:
    """docs/architecture.md is a map a newcomer follows file by file: every path it names
    must be in the tree (a module moved without the map failing here would strand them)."""
    root = Path(__file__).resolve().parent.parent
    text = (root / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = set(
        re.findall(
            r"`((?:counter|portal|printing|screens|counter_cli|tests|bench|docs)/[\w./]+)`", text
        )
    )
    assert len(named) > 30
    missing = sorted(p for p in named if not (root / p.rstrip("/")).exists())
    assert missing == [], missing
