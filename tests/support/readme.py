"""The `flask --app wsgi …` commands README.md prints, read from it, and a fresh copy of the
project to run them in (tests/app/test_readme_commands.py)."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"

# The command as printed, whatever comes before it: `.venv/bin/flask --app wsgi`,
# `cd /srv/pre && .venv/bin/flask --app wsgi`, a cron line's fields…
FLASK = re.compile(r"(?:\S*/)?\bflask --app wsgi\b")
CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
FENCE = re.compile(r"^\s*(```|~~~)")
ELLIPSES = {"…", "..."}
PLACEHOLDER = re.compile(r"[A-Z][A-Z_]*")
# `coordinator|viewer`: a choice between words, of which the first is taken.
CHOICE = re.compile(r"[a-z][\w-]*(?:\|[a-z][\w-]*)+")
COMMAND_WORD = re.compile(r"[a-z][a-z0-9-]*")


class UnreadableCommand(ValueError):
    """A README command the test cannot turn into a process to run."""


@dataclass(frozen=True)
class ReadmeCommand:
    """One command README.md prints: where, as printed, and as the test will run it."""

    line: int
    text: str
    # The words after `flask --app wsgi`: optional parts (`[--write]`) kept without their
    # brackets, ellipses (`…`) left out, the first word of a choice (`coordinator|viewer`).
    words: tuple[str, ...]
    # What a `printf '…' |` before the command pipes into it.
    stdin: str | None = None

    @property
    def command_words(self) -> tuple[str, ...]:
        """The leading words that name the command (`users`, `set-password`)."""
        named = []
        for word in self.words:
            if not COMMAND_WORD.fullmatch(word):
                break
            named.append(word)
        return tuple(named)

    def where(self) -> str:
        return f"README.md line {self.line}: `{self.text}`"


def parse_command(line: int, text: str) -> ReadmeCommand:
    """The command in `text` (a code span or a line of a fenced block)."""
    text = " ".join(text.replace("\\|", "|").split())  # a table cell escapes its pipes
    found = FLASK.search(text)
    if found is None:
        raise UnreadableCommand(f"README.md line {line}: no `flask --app wsgi` in `{text}`")
    before, after = text[: found.start()].strip(), text[found.end() :]
    stdin = None
    if before.endswith("|"):
        producer = shlex.split(before[:-1])
        if len(producer) != 2 or producer[0] != "printf":
            raise UnreadableCommand(
                f"README.md line {line}: `{text}`: only `printf '…' |` can feed a command here"
            )
        stdin = producer[1].replace("\\n", "\n")
    words = []
    for token in shlex.split(after, comments=True):
        token = token.removeprefix("[").removesuffix("]")
        if not token or token in ELLIPSES:
            continue
        words.append(token.split("|")[0] if CHOICE.fullmatch(token) else token)
    return ReadmeCommand(line, text, tuple(words), stdin)


def readme_commands(markdown: str) -> list[ReadmeCommand]:
    """Every `flask --app wsgi …` of `markdown`, in its code spans and fenced blocks, in order."""
    commands: list[tuple[int, int, ReadmeCommand]] = []
    prose: list[str] = []
    fenced = False
    for number, line in enumerate(markdown.splitlines(), start=1):
        if FENCE.match(line):
            fenced = not fenced
            prose.append("")
        elif fenced:
            if FLASK.search(line):
                commands.append((number, 0, parse_command(number, line)))
            prose.append("")  # kept, so that the spans below know their line
        else:
            prose.append(line)
    text = "\n".join(prose)
    for span in CODE_SPAN.finditer(text):
        if FLASK.search(span.group(2)):
            number = text.count("\n", 0, span.start()) + 1
            commands.append((number, span.start(), parse_command(number, span.group(2))))
    # `flask --app wsgi …` alone names no command: the prose speaks of them all.
    ordered = sorted(commands, key=lambda item: item[:2])
    return [command for *_, command in ordered if command.words]


def copy_checkout(destination: Path) -> Path:
    """Copy the project's files as a commit would hold them (those git tracks, and the new ones
    it does not ignore) into `destination`: no .venv, no instance/config.py, no database."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted from the work tree is not copied
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination
