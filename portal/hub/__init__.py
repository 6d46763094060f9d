"""The centre queue hub (`counter hub`): many counters, one queue, and the waiting-hall board.

    counter hub [--host 127.0.0.1] [--port 8710] [--db hub-queue.sqlite3] [--config config.toml]
    counter hub --prepare-audio [--db …] [--config …]   # render the hall's voice clips, exit

With no config file it runs on the embedded defaults below (five areas, the usual priority
classes, numbers issued 08:00–16:00). With one, it reads `[queue]` and the centre's name from
`[agency]`.
"""

from __future__ import annotations

import argparse
import os
import sys
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

from counter.private import UMASK
from counter.queue import QueueConfigError, QueueSettings, parse_queue_config

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8710
DEFAULT_DB = "hub-queue.sqlite3"
DEFAULT_CENTRE = "Trung tâm Phục vụ hành chính công"

DEFAULT_CONFIG = """
[agency]
centre = "Trung tâm Phục vụ hành chính công"

[queue]
issue_start = "08:00"
issue_end = "16:00"
interleave = 3
max_per_person_per_day = 2
max_per_person_per_area = 1
"""


def load_hub_config(path: Path | None) -> tuple[QueueSettings, str]:
    """The hub's queue settings and centre name, from `path` or the embedded defaults
    (`hall_recordings` is taken relative to the config file)."""
    raw: dict[str, Any] = (
        tomllib.loads(path.read_text(encoding="utf-8")) if path else tomllib.loads(DEFAULT_CONFIG)
    )
    settings = parse_queue_config(raw.get("queue", {}), source=path)
    if settings.hall_recordings and path is not None:
        folder = path.parent / Path(settings.hall_recordings).expanduser()
        settings = replace(settings, hall_recordings=str(folder))
    agency = raw.get("agency", {})
    centre = agency.get("centre", DEFAULT_CENTRE) if isinstance(agency, dict) else DEFAULT_CENTRE
    return settings, str(centre)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="counter hub", description="Máy chủ hàng đợi của trung tâm")
    p.add_argument("--host", default=DEFAULT_HOST)
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p.add_argument("--db", type=Path, default=Path(DEFAULT_DB), help="the hub's SQLite file")
    p.add_argument("--config", type=Path, help="a config.toml whose [queue] section to use")
    p.add_argument(
        "--prepare-audio",
        action="store_true",
        help="render the waiting hall's voice clips (espeak-ng) into the cache and exit",
    )
    args = p.parse_args(argv)
    os.umask(UMASK)  # the hub's database and anything else it writes: owner-only
    try:
        settings, centre = load_hub_config(args.config)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        print(f"Không đọc được cấu hình: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except QueueConfigError as exc:
        print(f"Cấu hình hàng đợi không hợp lệ:\n{exc}", file=sys.stderr)
        raise SystemExit(2) from None

    import uvicorn

    from portal.hub.app import Hub, create_app
    from portal.serving import freeze_startup_objects, short_gil_turns

    short_gil_turns()
    hub = Hub(args.db, settings, centre=centre)
    if args.prepare_audio or settings.hall_sound in ("voice", "browser"):
        ready, missing = hub.voice.prepare()
        print(f"Âm thanh phòng chờ: {ready} đoạn sẵn sàng ({hub.voice.cache_dir})", flush=True)
        if missing:
            print(
                f"Cảnh báo: thiếu {len(missing)} đoạn âm thanh (chưa cài espeak-ng, và không có "
                f"bản ghi trong hall_recordings): {', '.join(missing[:5])}…",
                file=sys.stderr,
                flush=True,
            )
        if args.prepare_audio:
            hub.close()
            raise SystemExit(1 if missing else 0)
    print(f"Máy chủ hàng đợi: http://{args.host}:{args.port}/  (bảng gọi số: /board)", flush=True)
    if not settings.hub_token:
        print(
            "Cảnh báo: chưa đặt [queue] hub_token, nên mọi máy trong mạng đều cấp và gọi số "
            "được. Đặt cùng một mã (≥ 16 ký tự) trên máy chủ này và trên các quầy, kiosk.",
            file=sys.stderr,
            flush=True,
        )
    app = create_app(hub)
    freeze_startup_objects()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        timeout_graceful_shutdown=1,  # the boards' event streams do not end by themselves
    )


__all__ = ["DEFAULT_CONFIG", "load_hub_config", "main"]
