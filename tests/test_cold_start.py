"""The cold start stays light (#18): what the login screen and `counter check-config` do not
need is not imported when they are ready, and the printer checks that replaced python-escpos
at start say exactly what python-escpos says. Nothing here is timed: `python -m
bench.bench_intake --startup-only` measures the start against a bare Textual app.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from printing import profiles

ROOT = Path(__file__).resolve().parent.parent

# Loaded at first use, never to show the login screen or to check a config: printing (the
# render pipeline and python-escpos with its YAML database, Pillow, qrcode, barcodes, USB and
# serial), the exports, the HTTP client and sync, the portal, and the entry-point scan
# (importlib.metadata) that sqlite-utils' plugin loading did, the multi-line field (TextArea) and
# the supervisor's queue figures.
NOT_AT_START = (
    "escpos",
    "PIL",
    "qrcode",
    "barcode",
    "yaml",
    "usb",
    "serial",
    "xlsxwriter",
    "openpyxl",
    "httpx",
    "portal",
    "counter.sync",
    "counter.exports",
    "printing.render",
    "printing.escpos_lib",
    "importlib.metadata",
    "zipfile",
    "textual.widgets._text_area",
    "counter.queue_reports",
    "counter.stats",
)

# The real entry point (`counter --config …`, as `make run`), headless: a key typed once the
# app is ready must land in the login screen's first field; then the modules are listed.
PROBE_APP = """
import gc, sys
from textual import events
import screens.app as ui

class Probe(ui.CounterApp):
    def run(self, **kw):
        return super().run(headless=True)
    def on_ready(self):
        super().on_ready()
        print("GC", gc.isenabled())
        key = events.Key("a", "a"); key.set_sender(self); self._driver.send_message(key)
    def on_input_changed(self, event):
        print("SCREEN", type(self.screen).__name__, event.input.id, event.value)
        print("MODULES", " ".join(sorted(sys.modules)))
        self.exit()

ui.CounterApp = Probe
from counter_cli import main
main(["--config", sys.argv[1]])
"""

PROBE_CLI = """
import sys
from counter_cli import main
try:
    main(["--config", sys.argv[1], "check-config"])
finally:
    print("MODULES", " ".join(sorted(sys.modules)))
"""


def _config(folder: Path, **replace: str) -> Path:
    """The example config.toml on a data folder of its own, a preview printer, no demo."""
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = text.replace('data_dir = "data"', f'data_dir = "{folder / "data"}"')
    text = text.replace('target = "data/receipts"', f'target = "{folder / "receipts"}"')
    text = text.replace("demo_data = true", "demo_data = false")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _env(tmp_path: Path) -> dict[str, str]:
    # This process may have set python-escpos's folder already (printing.escpos_lib).
    gone = ("COUNTER_CONFIG", profiles.PICKLE_DIR_ENV)
    env = {k: v for k, v in os.environ.items() if k not in gone}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    env["TMPDIR"] = str(tmp_path / "tmp")
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return env


def _run(code: str, *args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_env(tmp_path),
        timeout=300,
    )


def _loaded(stdout: str) -> set[str]:
    line = next(x for x in stdout.splitlines() if x.startswith("MODULES "))
    return set(line.split()[1:])


def _heavy(loaded: set[str]) -> list[str]:
    return sorted(m for m in loaded if any(m == h or m.startswith(h + ".") for h in NOT_AT_START))


def test_the_login_screen_is_ready_without_printing_exports_http_or_portal(
    tmp_path: Path,
) -> None:
    done = _run(PROBE_APP, str(_config(tmp_path)), tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "SCREEN LoginScreen login-username a" in done.stdout  # the probe saw the real start
    assert "GC True" in done.stdout  # held off while starting, on again once ready
    loaded = _loaded(done.stdout)
    assert "printing.checks" in loaded  # the printers were checked, without python-escpos
    assert "counter.store" in loaded and "screens.login" in loaded
    assert _heavy(loaded) == []
    assert list((tmp_path / "tmp").iterdir()) == []  # no temporary folder left behind


def test_check_config_loads_neither_python_escpos_nor_the_ui(tmp_path: Path) -> None:
    done = _run(PROBE_CLI, str(_config(tmp_path)), tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "OK: " in done.stdout
    loaded = _loaded(done.stdout)
    assert "printing.checks" in loaded
    assert _heavy(loaded) == []
    assert not [m for m in loaded if m.split(".")[0] in ("textual", "screens", "sqlite_utils")]


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        ('profile = "TM-T20II"', "profile: expected a printer profile"),
        ("paper_width_dots = 576", "paper_width_dots: expected at most 384"),
        ('mode = "raster"', 'mode: expected "raster" or "text-ascii"'),
        ("native_qr = false", "native_qr: expected false"),
    ],
)
def test_check_config_still_refuses_what_a_profile_cannot_print(
    tmp_path: Path, setting: str, said: str
) -> None:
    """The same refusals as before, now read from the JSON database: a wrong name, a width
    beyond the paper (POS-5890: 384 dots), TCVN-3 or native QR on a profile without them."""
    bad = {
        'profile = "TM-T20II"': 'profile = "TM-T20X"',
        "paper_width_dots = 576": "paper_width_dots = 576",
        'mode = "raster"': 'mode = "text-tcvn3"',
        "native_qr = false": "native_qr = true",
    }[setting]
    # POS-5890: 384 dots wide, no TCVN-3 pages; ZJ-5870 has no native QR.
    profile = "ZJ-5870" if setting.startswith("native_qr") else "POS-5890"
    replace = {setting: bad}
    if not setting.startswith("profile"):
        replace['profile = "TM-T20II"'] = f'profile = "{profile}"'
    done = _run(PROBE_CLI, str(_config(tmp_path, **replace)), tmp_path=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert said in done.stderr
    assert _heavy(_loaded(done.stdout)) == []


def test_the_profiles_say_what_python_escpos_says() -> None:
    """Every profile of the database: its code pages, features and paper width read as JSON
    equal what python-escpos's own loader (YAML) gives."""
    from printing.escpos_lib import CAPABILITIES, get_profile

    assert profiles.capabilities() == CAPABILITIES
    assert profiles.profile_names() == sorted(CAPABILITIES["profiles"])
    for name in profiles.profile_names():
        theirs = get_profile(name)
        assert profiles.code_pages(name) == theirs.get_code_pages(), name
        for feature in theirs.features:
            assert profiles.supports(name, feature) == bool(theirs.supports(feature)), name
        pixels = theirs.profile_data.get("media", {}).get("width", {}).get("pixels")
        assert profiles.profile_width(name) == (pixels if isinstance(pixels, int) else None)


PROBE_ESCPOS = """
import logging, sys
import escpos  # the package only: printing.escpos_lib must still set the cache up first
import printing.render
import escpos.capabilities as caps
print("PICKLE", caps.pickle_path)
print("PARSED", caps.full_load)
print("HANDLERS", len(logging.getLogger().handlers))
"""


def test_python_escpos_keeps_its_database_in_a_private_cache_and_no_temp_folder(
    tmp_path: Path,
) -> None:
    """python-escpos made a new temporary folder per process and parsed its YAML in each; now
    the first process writes the pickle into the user's cache (owner-only), every process
    reads it, nothing is left in the temporary folder, and python-escpos's stderr handler
    is still taken off the root logger (it wrote log lines over the Textual screen)."""
    seen = []
    for _ in range(2):
        done = _run(PROBE_ESCPOS, tmp_path=tmp_path)
        assert done.returncode == 0, done.stderr[-2000:]
        seen.append(dict(line.split(" ", 1) for line in done.stdout.splitlines()))
    folder = tmp_path / "cache" / "counter" / "escpos"
    for out in seen:
        assert Path(out["PICKLE"]).parent == folder
        assert out["PARSED"] == "False"  # read from the pickle, never the YAML parser
        assert out["HANDLERS"] == "0"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert [p.name for p in folder.iterdir()] == [Path(seen[0]["PICKLE"]).name]
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_cache_folder_others_can_write_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pickle runs code when loaded: a folder open to others is refused (python-escpos then
    falls back to its own temporary folder), and a stale pickle is written again, whole."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = tmp_path / "counter" / "escpos"
    folder.mkdir(parents=True)
    folder.chmod(0o777)
    assert profiles.escpos_pickle_dir() is None
    assert list(folder.iterdir()) == []
    folder.chmod(0o700)
    assert profiles.escpos_pickle_dir() == folder
    (pickle_file,) = folder.iterdir()
    old = pickle_file.stat().st_mtime - 10**6
    os.utime(pickle_file, (old, old))
    assert profiles.escpos_pickle_dir() == folder
    assert pickle_file.stat().st_mtime > old and [p.name for p in folder.iterdir()] == [
        pickle_file.name
    ]


def test_the_database_file_is_json() -> None:
    """printing.profiles reads it with json: it must stay JSON (python-escpos reads YAML)."""
    with profiles.capabilities_path().open(encoding="utf-8") as f:
        assert "profiles" in json.load(f)
