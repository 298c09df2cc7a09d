"""Rewrite parts of the territory file and show the change, keeping everything else as it is.

tomlkit round-trips the file: comments, order and layout of what an importer does not touch
stay byte for byte. A new text is checked with the same validation as at start-up before it
replaces the file, and the replacement is atomic (a crash leaves the old file or the new one).
"""

from __future__ import annotations

import difflib
import os
import tempfile
from pathlib import Path

import tomlkit
from tomlkit.toml_document import TOMLDocument

from intake.territory.model import Territory
from intake.territory.reader import TerritoryError, parse_territory


def read_document(path: str | os.PathLike[str]) -> TOMLDocument:
    """The territory file as an editable tomlkit document."""
    return tomlkit.parse(Path(path).read_text(encoding="utf-8-sig"))


def unified_diff(path: str | os.PathLike[str], before: str, after: str) -> str:
    """What changes between two versions of the file, as `diff -u` prints it ('' if nothing)."""
    name = os.fspath(path)
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"{name} (current)",
        tofile=f"{name} (imported)",
    )
    return "".join(lines)


def check_text(path: str | os.PathLike[str], text: str) -> Territory:
    """Validate a new version of the file exactly as the app would at start-up."""
    return parse_territory(text, os.fspath(path))


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Replace the file with `text` once it validates; raise TerritoryError and leave it else."""
    check_text(path, text)
    target = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


__all__ = [
    "TerritoryError",
    "check_text",
    "read_document",
    "unified_diff",
    "write_text",
]
