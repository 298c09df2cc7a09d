"""The compiled catalogues (.mo) the app translates with, made from the committed .po files.

`make test` compiles them first (the Makefile's catalogue target); a test run started some
other way (pytest alone, an IDE) compiles here, at the session's start, those missing or older
than their .po, so that a fresh clone's tests see English pages as `make run` does.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "intake" / "translations"


def compile_catalogues() -> list[Path]:
    """Compile each out-of-date messages.po to its .mo; return the .mo files written."""
    written = []
    for po in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalogue = read_po(source, locale=po.parent.parent.name)
        # Written aside then renamed: test processes started together never read half a file.
        handle, temporary = tempfile.mkstemp(dir=po.parent, suffix=".mo.tmp")
        with os.fdopen(handle, "wb") as target:
            write_mo(target, catalogue)
        os.replace(temporary, mo)
        written.append(mo)
    return written
