"""Translating strings in modules that must not import Flask: marked, lazy, or translated now.

The pure modules (`intake.rules`) write their French strings with the helpers here; the
function that really translates (Flask-Babel's, in the request's locale) is registered by the
app when it starts (`intake.translation.init_code`). Until then, and for a process that never
builds an app, a string is its own translation, as French is the source language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any


def _untranslated(message: str) -> str:
    return message


_translator: Callable[[str], str] = _untranslated


def use_translator(translate: Callable[[str], str]) -> None:
    """Make `gettext` and lazy texts translate through `translate` from now on."""
    global _translator
    _translator = translate


def gettext(message: str) -> str:
    """`message` translated now by the registered translator (pybabel's default keyword)."""
    return _translator(message)


def N_(message: str) -> str:
    """Mark a string for translation without translating it (pybabel keyword N_)."""
    return message


class LazyText:
    """A message translated each time it is used as text, as Flask-Babel's `LazyString` is:
    the tables of labels are built at import, before any request says in which language.

    It stands in for a `str` wherever the code and the templates use one: compared, hashed,
    concatenated, formatted, measured, iterated, and any other str method.
    """

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message

    def __str__(self) -> str:
        return _translator(self.message)

    def __repr__(self) -> str:
        return f"l'{self}'"

    def __html__(self) -> str:
        # As LazyString: the templates, WTForms' labels and options insert the translation
        # as it is (the strings are this application's own text, like a template's).
        return str(self)

    def __getattr__(self, name: str) -> Any:
        # Without this guard, copy and pickle would translate (and recurse without end)
        # looking for a __setstate__ or the message of an instance that has none yet.
        if name in ("__setstate__", "message"):
            raise AttributeError(name)
        return getattr(str(self), name)

    def __len__(self) -> int:
        return len(str(self))

    def __getitem__(self, key: Any) -> str:
        return str(self)[key]

    def __iter__(self) -> Iterator[str]:
        return iter(str(self))

    def __contains__(self, item: str) -> bool:
        return item in str(self)

    def __add__(self, other: str) -> str:
        return str(self) + other

    def __radd__(self, other: str) -> str:
        return other + str(self)

    def __mul__(self, other: int) -> str:
        return str(self) * other

    def __rmul__(self, other: int) -> str:
        return other * str(self)

    def __mod__(self, other: Any) -> str:
        return str(self) % other

    def __eq__(self, other: object) -> bool:
        return str(self) == other

    def __ne__(self, other: object) -> bool:
        return str(self) != other

    def __lt__(self, other: str) -> bool:
        return str(self) < other

    def __le__(self, other: str) -> bool:
        return str(self) <= other

    def __gt__(self, other: str) -> bool:
        return str(self) > other

    def __ge__(self, other: str) -> bool:
        return str(self) >= other

    def __hash__(self) -> int:
        return hash(str(self))


def _l(message: str) -> LazyText:
    """`message`, translated whenever it is used as text (pybabel keyword _l)."""
    return LazyText(message)
