"""What the portal's witness costs: `audit verify` over a year of audit entries, and a sync round.

1. `counter audit verify` over a busy centre's year (1,000,000 audit entries, a witnessed head
   every 40 entries: 25,000 heads), three ways in the same run: the chain alone (the baseline:
   what verify did before the witness), online (the witness list fetched from a real portal on
   loopback) and offline (a witness file exported at the portal). Ratios against the baseline.
2. A sync round with one new dossier, with and without the witness step: request + response
   bytes on the wire and milliseconds (median of the rounds), and the difference.

Printed by `python -m bench.bench_exports` (and runnable alone):
.venv/bin/python -m bench.bench_witness [--audit-rows 1000000] [--rounds 30]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import httpx

HEAD_EVERY = 40


def _seed_audit(db: Path, rows: int) -> None:
    """`rows` chained audit entries spread over a year, written as the app would hash them."""
    from counter import audit
    from counter.store import Store
    from counter.timeutil import VN_TZ, iso

    store = Store(db)
    start = datetime(2025, 12, 1, 7, 30, tzinfo=VN_TZ)
    step = timedelta(days=365) / rows
    row = store.conn.execute("SELECT hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    prev = row[0] if row else audit.GENESIS
    batch: list[tuple[Any, ...]] = []
    with store.write():
        for i in range(rows):
            at = iso(start + step * i)
            obj = f"dossier:{i:08d}"
            details = '{"from":"received","to":"processing"}'
            digest = audit._digest(prev, at, 1, "canbo", "dossier.act", obj, details)
            batch.append((at, 1, "canbo", "dossier.act", obj, details, prev, digest))
            prev = digest
            if len(batch) == 50_000:
                store.conn.executemany(
                    "INSERT INTO audit(at, officer_id, username, action, object, details, "
                    "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    batch,
                )
                batch = []
        if batch:
            store.conn.executemany(
                "INSERT INTO audit(at, officer_id, username, action, object, details, "
                "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                batch,
            )
    store.close()


def _seed_heads(portal: Any, device_id: str, db: Path) -> int:
    """A head witnessed every HEAD_EVERY entries, as a year of sync rounds would leave."""
    from counter.store import Store

    store = Store(db)
    heads = [
        (device_id, int(i), str(h), "2026-01-01T00:00:00+00:00")
        for i, h in store.conn.execute(
            "SELECT id, hash FROM audit WHERE id % ? = 0 ORDER BY id", (HEAD_EVERY,)
        )
    ]
    store.close()
    with portal.storage._tx() as c:
        (top,) = c.execute(
            "SELECT coalesce(min(seq), 0) FROM witnessed_heads WHERE device_id = ?", (device_id,)
        ).fetchone()
        for head in [h for h in heads if h[1] < top]:  # below the head the sync just sent
            c.execute(
                "INSERT INTO witnessed_heads(device_id, seq, hash, witnessed_at) "
                "VALUES (?, ?, ?, ?)",
                head,
            )
    return len(heads) + 1


def _timed(fn: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def _count_wire(client: httpx.Client) -> dict[str, int]:
    """Count request and response bytes (bodies and headers) through `client`."""
    sizes = {"sent": 0, "received": 0, "requests": 0}

    def on_request(request: httpx.Request) -> None:
        request.read()
        sizes["requests"] += 1
        head = sum(len(k) + len(v) + 4 for k, v in request.headers.raw)
        sizes["sent"] += len(request.content) + head + len(request.url.raw_path) + 16

    def on_response(response: httpx.Response) -> None:
        response.read()
        head = sum(len(k) + len(v) + 4 for k, v in response.headers.raw)
        sizes["received"] += len(response.content) + head + 17

    client.event_hooks = {"request": [on_request], "response": [on_response]}
    return sizes


def verify_figures(root: Path, audit_rows: int, repeats: int = 3) -> dict[str, Any]:
    from counter import audit, audit_verify, sync, witness
    from counter.config import parse_config
    from counter.desk import Desk
    from counter.store import Store
    from portal import admin
    from portal.server import ThreadedPortal

    with ThreadedPortal(root / "portal" / "portal.db") as portal:
        code = admin.create_enrollment_code(portal.storage, "000.00.12.H26", 3)
        config = parse_config(
            {
                "counter": {"data_dir": str(root / "counter"), "number": 3, "demo_data": False},
                "portal": {"url": portal.url, "enrollment_code": code},
            }
        )
        desk = Desk.open(config)
        desk.create_officer("canbo", "Trần Thị Mai", "officer", "12341234")
        device_id = desk.device_id
        desk.close()
        t_seed, _ = _timed(lambda: _seed_audit(config.db_path, audit_rows))
        report = sync.sync_once(config.db_path, config)
        assert report.ok, report.text()
        heads = _seed_heads(portal, device_id, config.db_path)
        wf_bytes = portal.app.state.witness.file_bytes(device_id=device_id)
        store = Store(config.db_path)
        try:

            def chain_only() -> list[audit.ChainProblem]:
                return audit.verify_chain(store.db)

            def offline() -> audit_verify.Report:
                wf = witness.parse_file(wf_bytes)
                return audit_verify.verify(store, [], witness_file=wf)

            def online() -> audit_verify.Report:
                with sync.make_client(config) as client:
                    wf = witness.fetch_file(client, sync._auth(store))
                return audit_verify.verify(store, [], witness_file=wf)

            # Interleaved and repeated: the best of `repeats` is what this machine can do when
            # no one else is using it (the cores are shared), the same for all three cases.
            runs: dict[str, list[float]] = {"chain": [], "offline": [], "online": []}
            for _ in range(repeats):
                t, problems = _timed(chain_only)
                assert problems == []
                runs["chain"].append(t)
                t, rep_off = _timed(offline)
                runs["offline"].append(t)
                t, rep_on = _timed(online)
                runs["online"].append(t)
                assert rep_off.ok and rep_on.ok and rep_on.witnessed, rep_on.text()
            t_chain, t_off, t_on = (min(runs[k]) for k in ("chain", "offline", "online"))
        finally:
            store.close()
    base = t_chain or 0.001
    return {
        "audit_entries": audit_rows + 2,
        "witnessed_heads": heads,
        "witness_file_bytes": len(wf_bytes),
        "seed_seconds": round(t_seed, 1),
        "repeats_best_of": repeats,
        "baseline_chain_only_seconds": round(t_chain, 2),
        "offline_witness_file_seconds": round(t_off, 2),
        "online_seconds": round(t_on, 2),
        "offline_vs_baseline": round(t_off / base, 2),
        "online_vs_baseline": round(t_on / base, 2),
    }


def round_figures(root: Path, rounds: int) -> dict[str, Any]:
    from counter import sync, witness
    from counter.config import parse_config
    from counter.desk import Desk
    from portal import admin
    from portal.server import ThreadedPortal
    from tests.support.builders import draft_for

    with ThreadedPortal(root / "portal" / "portal.db") as portal:
        code = admin.create_enrollment_code(portal.storage, "000.00.12.H26", 3)
        config = parse_config(
            {
                "counter": {"data_dir": str(root / "counter"), "number": 3, "demo_data": False},
                "portal": {"url": portal.url, "enrollment_code": code},
            }
        )
        desk = Desk.open(config)
        desk.create_officer("canbo", "Trần Thị Mai", "officer", "12341234")
        desk.login("canbo", "12341234")
        sync.sync_once(desk.store, config)  # enrolled; the first round is not measured
        out: dict[str, Any] = {"rounds": rounds}
        cases = ("without_witness", "with_witness")
        times: dict[str, list[float]] = {c: [] for c in cases}
        clients = {c: sync.make_client(config) for c in cases}
        wires = {c: _count_wire(clients[c]) for c in cases}
        skip = mock.patch.object(witness, "witness_round", return_value=(None, ""))
        # Interleaved, the order flipped each round: load from other processes on a shared
        # machine falls on both cases alike.
        for i in range(rounds):
            for case in cases if i % 2 else cases[::-1]:
                desk.receive(draft_for(desk, "1.004194"))
                if case == "without_witness":
                    with skip:
                        t, report = _timed(
                            lambda c=case: sync.sync_once(desk.store, config, client=clients[c])
                        )
                else:
                    t, report = _timed(
                        lambda c=case: sync.sync_once(desk.store, config, client=clients[c])
                    )
                assert report.ok and (case == "without_witness" or report.witnessed_seq)
                times[case].append(t)
        for case in cases:
            clients[case].close()
            wire = wires[case]
            out[case] = {
                "ms_median": round(statistics.median(times[case]) * 1000, 2),
                "ms_p90": round(sorted(times[case])[int(0.9 * (rounds - 1))] * 1000, 2),
                "bytes_per_round": round((wire["sent"] + wire["received"]) / rounds),
                "requests_per_round": round(wire["requests"] / rounds, 2),
            }
        desk.close()
    a, b = out["without_witness"], out["with_witness"]
    out["witness_cost"] = {
        "ms": round(b["ms_median"] - a["ms_median"], 2),
        "bytes": b["bytes_per_round"] - a["bytes_per_round"],
        "time_ratio": round(b["ms_median"] / (a["ms_median"] or 0.01), 2),
    }
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--audit-rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        results = {
            "audit_verify": verify_figures(Path(tmp) / "verify", args.audit_rows),
            "sync_round": round_figures(Path(tmp) / "round", args.rounds),
        }
    print(json.dumps(results, indent=2, ensure_ascii=False))
    return results


if __name__ == "__main__":
    main()
