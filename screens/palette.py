"""The command palette matches Vietnamese commands typed without diacritics.

Officers type "tiep nhan" for "Tiếp nhận hồ sơ mới" (many keyboards have no Telex on at the
moment they press Ctrl+P). Textual's fuzzy matcher compares characters as they are, so the
palette found nothing; this matcher compares folded text (đ→d, marks dropped) instead and
highlights the matched letters in the original title.
"""

from __future__ import annotations

from textual.content import Content
from textual.fuzzy import Matcher
from textual.system_commands import SystemCommandsProvider

from counter.text import ascii_fold


def fold_same_length(text: str) -> str:
    """Each character folded on its own, so offsets in the result are offsets in `text`."""
    out = []
    for ch in text:
        folded = ascii_fold(ch)
        out.append(folded if len(folded) == 1 else ch)
    return "".join(out)


class FoldedMatcher(Matcher):
    """A fuzzy matcher blind to Vietnamese diacritics and to the stroke of đ."""

    def __init__(self, query: str, **kwargs: object) -> None:
        super().__init__(fold_same_length(query), **kwargs)  # type: ignore[arg-type]

    def match(self, candidate: str) -> float:
        return super().match(fold_same_length(candidate))

    def highlight(self, candidate: str) -> Content:
        folded = super().highlight(fold_same_length(candidate))
        return Content(candidate, spans=list(folded.spans))


class FoldedSystemCommands(SystemCommandsProvider):
    """The app's commands (get_system_commands), matched without diacritics."""

    def matcher(self, user_input: str, case_sensitive: bool = False) -> Matcher:
        return FoldedMatcher(
            user_input, match_style=self.match_style, case_sensitive=case_sensitive
        )
