"""Vietnamese text at the boundaries: NFC everywhere, and a search fold that knows đ.

SQLite's unicode61 tokenizer removes diacritics but leaves đ alone, so "duc" would never find
"Đức"; we fold ourselves and index the folded text.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

_SPACES = re.compile(r"\s+")


def nfc(text: str) -> str:
    """Normalise to NFC and collapse runs of whitespace (input methods send both forms)."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def fold(text: str) -> str:
    """Lower-case, strip every diacritic and map đ→d: the key used for search."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", stripped.lower()).strip()


def ascii_fold(text: str) -> str:
    """Keep case, drop diacritics, đ→d: the last-resort form for printers with no Vietnamese."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def nfc_tree(value: Any) -> Any:
    """Every string in a parsed TOML/JSON value (keys too) in NFC, nothing else changed: the
    one step at a boundary (config, pulled changes) that covers fields added later as well."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {nfc_tree(k): nfc_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [nfc_tree(v) for v in value]
    return value


def nfc_lines(text: str) -> str:
    """NFC per line for multi-line fields (reasons, lists): lines kept, blank ones dropped."""
    return "\n".join(line for line in (nfc(x) for x in text.splitlines()) if line)
