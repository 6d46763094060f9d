"""The counter desk: the one service the UI and the CLI talk to.

A keypress becomes a call here; each state change is one transaction that writes the dossier
row, its timeline event, its audit entry and its outbox entry together. Screens never see
SQLite, only these methods and the dataclasses they return.

`Desk` is the one façade; its parts live beside it, each on the shared `DeskCore` (`base`):
`officers` (the session and accounts), `reading` (dossiers, timeline, search, sync state),
`printing` (spool jobs and the officer's answers about them), `intake` (a dossier received
or turned away, the form in progress) and `actions` (lifecycle actions, undo, transfers).
"""

from __future__ import annotations

from counter.desk.actions import UNDO_WINDOW, DossierActions, check_details
from counter.desk.base import DeskCore
from counter.desk.intake import INCOMPLETE_REASON, Intake
from counter.desk.officers import OfficerSession
from counter.desk.reading import DossierPage

__all__ = [
    "INCOMPLETE_REASON",
    "UNDO_WINDOW",
    "Desk",
    "DeskCore",
    "DossierPage",
    "check_details",
]


class Desk(OfficerSession, Intake, DossierActions):
    """Everything a counter does, for one store and one logged-in officer at a time."""
