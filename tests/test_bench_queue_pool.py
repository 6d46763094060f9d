"""`bench.bench_queue`'s continuous run notices when its queue runs dry.

A full run once pressed call-next 243,000 times at a hub holding 200,000 waiting tickets: for
its last seconds every call answered "nobody waits" (a fraction of a call's work) and the
figure counted them as calls. The harness now counts those answers and sizes the pool for
the run; here a real hub with a small pool is emptied on purpose and the harness must say so,
and the pool a full run gets must outlast the highest rate it allows.
"""

from __future__ import annotations

import re
from pathlib import Path

from bench import bench_queue
from counter.config.queue import parse_queue_config


def test_a_run_that_empties_the_queue_counts_every_empty_answer(tmp_path: Path) -> None:
    cfg_text = bench_queue.HUB_CONFIG.split("[[queue.area]]")[0] + (
        '[[queue.area]]\nprefix = "A"\nname = "Hộ tịch"\nlast = 9999\n'
    )
    cfg = tmp_path / "hub.toml"
    cfg.write_text(cfg_text, encoding="utf-8")
    db = tmp_path / "hub.sqlite3"
    bench_queue._prefill(db, cfg_text, 120)
    proc, port = bench_queue._start_hub(db, cfg)
    try:
        calls, empty = bench_queue._continuous(port, "/api/counters/{n}/call-next", 1.0, post=True)
    finally:
        proc.terminate()
        proc.wait(10)
    # 120 tickets, of which the 50 warm-up calls (one per counter, not timed) took some.
    assert len(calls) > 120
    assert empty >= len(calls) - 120
    assert empty > 0


def test_a_full_run_gets_enough_valid_areas_for_the_fastest_rate_it_allows() -> None:
    for seconds in (10, 60):
        prefixes = bench_queue._continuous_areas(seconds)
        assert len(prefixes) * 9999 >= seconds * bench_queue.CONTINUOUS_MAX_RATE
        assert len(set(prefixes)) == len(prefixes)
        assert all(re.fullmatch(r"[A-Z]{1,2}", p) for p in prefixes)
        # the config the run writes is one the hub accepts
        tables = [{"prefix": p, "name": f"Lĩnh vực {p}", "last": 9999} for p in prefixes]
        assert len(parse_queue_config({"area": tables}).areas_def) == len(prefixes)
    assert bench_queue._area_prefixes(28)[25:] == ["Z", "AA", "AB"]
