"""The messages as `make i18n` extracts them, and the English catalogue, for the i18n tests."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
ENGLISH = ROOT / "intake" / "translations" / "en" / "LC_MESSAGES" / "messages.po"

# Where the messages a family or a referrer reads come from: the public pages, what they share
# with the staff side (forms, labels, outcomes, steps) and every e-mail. A path ending in "/"
# is a folder. The staff side's own files are left out: its pages are always French.
PUBLIC_SOURCES = (
    "templates/base.html",
    "templates/_forms.html",
    "templates/_family_fields.html",
    "templates/public/",
    "templates/errors/",
    "templates/email/",
    "intake/public/",
    "intake/forms/",
    "intake/errors.py",
    "intake/__init__.py",
    "intake/rules/progress.py",
    "intake/rules/workflow.py",
    "intake/rules/decisions.py",
    "intake/rules/vocabulary.py",
    "intake/notifications/render.py",
)

# E-mails to the coordination, French like the staff pages, among the e-mails above.
STAFF_EMAILS = ("templates/email/coordinator_alert.", "templates/email/digest.")

# `%(name)s` and `%(num)d`: a translation naming another variable fails when it is formatted.
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def key(message: Message) -> str | tuple[str, ...]:
    return message.id if isinstance(message.id, str) else tuple(message.id)


@cache
def extracted() -> Catalog:
    """Every message of the code and templates, as `make i18n` extracts it (babel.cfg)."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "N_": None}
    catalogue = Catalog()
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        catalogue.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalogue


@cache
def english() -> Catalog:
    with ENGLISH.open("rb") as source:
        return read_po(source, locale="en")


def is_public(message: Message) -> bool:
    return any(
        path.startswith(PUBLIC_SOURCES) and not path.startswith(STAFF_EMAILS)
        for path, _ in message.locations
    )


def public_messages() -> list[Message]:
    return [message for message in extracted() if message.id and is_public(message)]


def translations() -> dict[str | tuple[str, ...], Message]:
    return {key(message): message for message in english() if message.id}


def texts(value: str | tuple | list) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def fragments(text: str, shortest: int = 12) -> list[str]:
    """The pieces of `text` between its placeholders long enough to be told apart from
    ordinary words: what a page shows of the message whatever its variables are."""
    return [
        piece.strip() for piece in PLACEHOLDER.split(text)[::2] if len(piece.strip()) >= shortest
    ]
