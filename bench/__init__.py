"""Benchmarks: figures printed with a baseline from the same run, never asserted in tests."""
