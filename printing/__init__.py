"""Printing: lay out counter documents, render them for ESC/POS printers, and send them.

`render_job(doc, printer)` is the one entry; transports only move bytes. Nothing here reaches
up into the UI or the servers (import-linter).
"""

import logging as _logging

# python-escpos calls `logging.basicConfig()` when `escpos.capabilities` is imported, which
# hangs a stderr handler on the root logger: every later INFO line of the counter's own
# loggers was then written over the Textual screen. Import it here, once, and take that
# handler off again; the app's log goes to its rotating file (counter/logs.py).
_before = list(_logging.getLogger().handlers)
import escpos.capabilities  # noqa: E402, F401

for _handler in list(_logging.getLogger().handlers):
    if _handler not in _before:
        _logging.getLogger().removeHandler(_handler)
del _before
