"""What every screen shares: the desk, the language, and bindings shown in that language."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar, cast

from textual.screen import ModalScreen, Screen

from counter.desk import Desk
from screens.i18n import tr
from screens.keys import translate_bindings

if TYPE_CHECKING:
    from screens.app import CounterApp

R = TypeVar("R")


def _current_lang() -> str:
    from textual._context import active_app

    try:
        return str(getattr(active_app.get(), "lang", "vi"))
    except LookupError:
        return "vi"


class _CounterParts:
    """The app, desk and language every counter screen and dialog reaches for."""

    app: Any

    @property
    def capp(self) -> CounterApp:
        return cast("CounterApp", self.app)

    @property
    def desk(self) -> Desk:
        return self.capp.desk

    @property
    def lang(self) -> str:
        return self.capp.lang

    def t(self, key: str, **values: object) -> str:
        return tr(self.lang, key, **values)


class CounterScreen(_CounterParts, Screen[Any]):
    """A full screen of the counter app."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        translate_bindings(self, _current_lang())


class CounterModal(_CounterParts, ModalScreen[R]):
    """A dialog over a counter screen; Escape cancels."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        translate_bindings(self, _current_lang())
