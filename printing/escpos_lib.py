"""python-escpos, imported once and the way the counter needs it; every module of `printing`
takes its escpos names from here, and only when a job is rendered or sent.

Around the import: python-escpos is given a private, lasting cache of its parsed printer
database (`profiles.escpos_pickle_dir`). Without one it parsed the file with pure-Python YAML
in every process and left a temporary folder behind each time; and it calls `mkdtemp()` even
when told where its cache is, so that one call, from that module only, gets the cache folder
instead of a new empty folder. After it: `escpos.capabilities` calls `logging.basicConfig()`,
which hangs a stderr handler on the root logger, so every later INFO line of the counter's own
loggers was written over the Textual screen; that handler is taken off again (the app's log
goes to its rotating file, counter/logs.py).
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Callable
from typing import Any

from .profiles import PICKLE_DIR_ENV, escpos_pickle_dir


def _mkdtemp_for_escpos(folder: str, original: Callable[..., str]) -> Callable[..., str]:
    def mkdtemp(*args: Any, **kwargs: Any) -> str:
        if sys._getframe(1).f_globals.get("__name__") == "escpos.capabilities":
            return folder  # its default, unused once PICKLE_DIR_ENV is set: create nothing
        return original(*args, **kwargs)

    return mkdtemp


_original_mkdtemp = tempfile.mkdtemp
_folder = os.environ.get(PICKLE_DIR_ENV) or escpos_pickle_dir()
if _folder is not None:
    os.environ[PICKLE_DIR_ENV] = str(_folder)
    tempfile.mkdtemp = _mkdtemp_for_escpos(str(_folder), _original_mkdtemp)  # type: ignore[assignment]
_before = list(logging.getLogger().handlers)
try:
    from escpos.capabilities import CAPABILITIES, get_profile
    from escpos.printer import Dummy, Serial, Usb
finally:
    tempfile.mkdtemp = _original_mkdtemp
    for _handler in list(logging.getLogger().handlers):
        if _handler not in _before:
            logging.getLogger().removeHandler(_handler)
    del _before

__all__ = ["CAPABILITIES", "Dummy", "Serial", "Usb", "get_profile"]
