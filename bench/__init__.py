"""Benchmarks: figures printed with a baseline from the same run, never asserted in tests."""


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile, `q` in 0..1 (0.95 = p95)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
