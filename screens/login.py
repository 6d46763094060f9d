"""The login screen: username, PIN/password, Enter; refusals (and lockouts) shown inline."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.widgets import Input, Label, Static

from counter.errors import CounterError
from screens.base import CounterScreen


class LoginScreen(CounterScreen):
    """First screen of the day; nothing else is reachable before a successful login."""

    def compose(self) -> ComposeResult:
        config = self.desk.config
        with Center(), Vertical(id="login-box"):
            yield Static(Text(config.agency.name, style="bold"), id="login-agency")
            yield Static(Text(config.agency.centre), id="login-centre")
            yield Static(self.t("login.title"), id="login-title")
            yield Label(self.t("login.username"))
            yield Input(id="login-username", compact=True)
            yield Label(self.t("login.secret"))
            yield Input(id="login-secret", password=True, compact=True)
            yield Static("", id="login-error", classes="error")
            yield Static(self.t("login.hint"), id="login-hint", classes="hint")
            if config.counter.demo_data:
                yield Static(self.t("login.demo"), id="login-demo", classes="hint")
            elif not self.desk.has_officers():
                yield Static(self.t("login.no_accounts"), id="login-setup", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#login-error").display = False
        self.query_one("#login-username", Input).focus()

    def show_error(self, message: str) -> None:
        error = self.query_one("#login-error", Static)
        error.update(Text(message))
        error.display = bool(message)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        username = self.query_one("#login-username", Input)
        secret = self.query_one("#login-secret", Input)
        if event.input is username and not secret.value:
            secret.focus()
            return
        if not username.value.strip() or not secret.value:
            self.show_error(self.t("login.empty"))
            (username if not username.value.strip() else secret).focus()
            return
        try:
            self.desk.login(username.value.strip(), secret.value)
        except CounterError as exc:
            secret.value = ""
            secret.focus()
            self.show_error(exc.message(self.lang))
            return
        self.show_error("")
        self.capp.after_login()
