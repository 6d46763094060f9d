"""The officer session of the desk: log in and out, the supervisor check, accounts.
Its own home because it is the only part that changes who is at the desk."""

from __future__ import annotations

from counter import auth
from counter.auth import Officer
from counter.desk.base import DeskCore


class OfficerSession(DeskCore):
    """Who is at the desk, and the accounts a supervisor manages."""

    def login(self, username: str, secret: str) -> Officer:
        self.officer = auth.login(self.store, self.config.auth, username, secret, self.now())
        return self.officer

    def logout(self) -> None:
        if self.officer:
            auth.logout(self.store, self.officer, self.now())
        self.officer = None

    def require_supervisor(self, action: str) -> Officer:
        """The logged-in supervisor; anyone else is refused, and the refusal audited."""
        return auth.require_supervisor(
            self.officer, store=self.store, now=self.now(), action=action
        )

    def create_officer(self, username: str, full_name: str, role: str, secret: str) -> Officer:
        """A logged-in supervisor adds an account; with nobody logged in, only the very first
        account of an empty store can be made (`counter setup`), and the audit says so."""
        if self.officer is not None:
            self.require_supervisor("officer.create")
        return auth.create_officer(
            self.store,
            username=username,
            full_name=full_name,
            role=role,
            secret=secret,
            now=self.now(),
            by=self.officer,
            policy=self.config.auth,
        )

    def set_officer_role(self, username: str, role: str) -> Officer:
        return auth.set_role(
            self.store,
            username=username,
            role=role,
            by=self.require_supervisor("officer.set_role"),
            now=self.now(),
        )

    def has_officers(self) -> bool:
        return self.store.conn.execute("SELECT 1 FROM officers LIMIT 1").fetchone() is not None
