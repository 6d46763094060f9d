"""Helpers the tests share: builders, emulated printers, portals, clocks (no tests here).

Nothing under tests/support is collected by pytest (no `test_*` modules), and no test module
imports another test module: what two tests share lives here (tests/test_architecture.py
checks it).
"""
