"""The screens' door to the translations, which live in the core (`counter/i18n.py`)."""

from counter.i18n import LANGS, TEXT, Lang, Pair, money, pick, tr, weekday

__all__ = ["LANGS", "TEXT", "Lang", "Pair", "money", "pick", "tr", "weekday"]
