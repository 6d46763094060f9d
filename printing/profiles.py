"""The printer profiles of escpos-printer-db, read without importing python-escpos.

python-escpos ships the database as `escpos/capabilities.json` and, on import of
`escpos.capabilities`, parses it with pure-Python YAML (0.2 s on an idle PC, over a second on a
busy one) unless it finds a pickle of it in `ESCPOS_CAPABILITIES_PICKLE_DIR`, which defaults to
a new temporary folder per process: every start paid the parse and left a folder behind. The
checks made before the first job (`printing.checks`: `counter check-config`, the start of the
app and the kiosk) need only a few fields of one profile, so they read the file here with the
standard JSON parser (a few milliseconds), and `escpos_pickle_dir` gives python-escpos a
private, lasting cache for when a job is actually rendered.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger("printing.profiles")

PICKLE_DIR_ENV = "ESCPOS_CAPABILITIES_PICKLE_DIR"
FILE_ENV = "ESCPOS_CAPABILITIES_FILE"


def capabilities_path() -> Path:
    """The database python-escpos itself reads (its own override included)."""
    custom = os.environ.get(FILE_ENV)
    if custom:
        return Path(custom)
    # Found without importing the package (importlib.resources would import it, and zipfile).
    spec = importlib.util.find_spec("escpos")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("python-escpos is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "capabilities.json"


@functools.cache
def capabilities() -> dict[str, Any]:
    """The whole database, parsed once per process. The file is JSON; a file named by
    ESCPOS_CAPABILITIES_FILE may be YAML, which only python-escpos's own loader reads."""
    if os.environ.get(FILE_ENV):
        from .escpos_lib import CAPABILITIES

        return dict(CAPABILITIES)
    with capabilities_path().open(encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


def profile_names() -> list[str]:
    return sorted(capabilities()["profiles"])


def profile_data(name: str) -> dict[str, Any]:
    """One profile's entry (KeyError for a name the database does not have). Read only."""
    data: dict[str, Any] = capabilities()["profiles"][name]
    return data


def profile_width(profile: str) -> int | None:
    """The profile's printable width in dots, or None when the database does not know it."""
    pixels = profile_data(profile).get("media", {}).get("width", {}).get("pixels")
    return pixels if isinstance(pixels, int) else None


def code_pages(profile: str) -> dict[str, str]:
    """The profile's code pages as {name: index}, as python-escpos's get_code_pages() gives."""
    pages: dict[str, str] = profile_data(profile).get("codePages", {})
    return {name: index for index, name in pages.items()}


def supports(profile: str, feature: str) -> bool:
    return bool(profile_data(profile).get("features", {}).get(feature))


def escpos_pickle_dir() -> Path | None:
    """A private folder that keeps python-escpos's parsed database between runs, the pickle
    in it written whole (a process starting beside another never reads half of one); None
    when no such folder can be had (python-escpos then uses a temporary one, as before).

    The folder must be the user's own and closed to others: a pickle is code when loaded.
    A database of one's own (ESCPOS_CAPABILITIES_FILE) is left to python-escpos."""
    import pickle
    import platform
    import tempfile

    if os.environ.get(FILE_ENV):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    folder = Path(base) / "counter" / "escpos"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = folder.stat()
        if st.st_uid != os.getuid() or st.st_mode & 0o077:
            log.warning("escpos cache folder is not private; not used")
            return None
        source = capabilities_path()
        target = folder / f"{platform.python_version()}.capabilities.pickle"
        if not target.exists() or target.stat().st_mtime < source.stat().st_mtime:
            with tempfile.NamedTemporaryFile("wb", dir=folder, delete=False) as f:
                try:
                    pickle.dump(capabilities(), f, protocol=2)
                except BaseException:
                    os.unlink(f.name)
                    raise
            os.replace(f.name, target)
    except (OSError, RuntimeError, ValueError):
        log.warning(
            "escpos cache folder unusable; python-escpos parses its database", exc_info=True
        )
        return None
    return folder
