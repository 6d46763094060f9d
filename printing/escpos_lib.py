"""python-escpos, imported once and the way the counter needs it; every module of `printing`
takes its escpos names from here, and only when a job is rendered or sent.

Two things happen before the import: python-escpos is given a private, lasting cache of its
parsed printer database (`profiles.escpos_pickle_dir`; without one it parsed the file with
pure-Python YAML in every process and left a temporary folder behind each time). And after
it: `escpos.capabilities` calls `logging.basicConfig()`, which hangs a stderr handler on the
root logger, so every later INFO line of the counter's own loggers was written over the
Textual screen; that handler is taken off again (the app's log goes to its rotating file,
counter/logs.py).
"""

from __future__ import annotations

import logging
import os

from .profiles import PICKLE_DIR_ENV, escpos_pickle_dir

if PICKLE_DIR_ENV not in os.environ:
    _folder = escpos_pickle_dir()
    if _folder is not None:
        os.environ[PICKLE_DIR_ENV] = str(_folder)

_before = list(logging.getLogger().handlers)
from escpos.capabilities import CAPABILITIES, get_profile  # noqa: E402
from escpos.printer import Dummy, Serial, Usb  # noqa: E402

for _handler in list(logging.getLogger().handlers):
    if _handler not in _before:
        logging.getLogger().removeHandler(_handler)
del _before

__all__ = ["CAPABILITIES", "Dummy", "Serial", "Usb", "get_profile"]
