"""Typed errors of the core, each carrying a Vietnamese message (and an English one).

The UI shows `message(lang)`; nothing is changed when one of these is raised.
"""

from __future__ import annotations

from counter.i18n import pick


class CounterError(Exception):
    """Base of every refusal the core reports to a person."""

    def __init__(self, vi: str, en: str | None = None):
        super().__init__(vi)
        self.vi = vi
        self.en = en or vi

    def message(self, lang: str = "vi") -> str:
        return pick((self.vi, self.en), lang)


class InvalidInput(CounterError):
    """A form field (or scanned code) is wrong; `field` names it so the UI can point at it."""

    def __init__(self, field: str, vi: str, en: str | None = None):
        super().__init__(vi, en)
        self.field = field


class IllegalTransition(CounterError):
    """A lifecycle action that the dossier's current status does not allow."""


class NotFound(CounterError):
    """No such dossier, officer or procedure."""


class AuthError(CounterError):
    """Wrong credentials, a locked account, or a role that may not do this."""
