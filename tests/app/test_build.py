"""A build that does not drift: every dependency pinned in requirements.lock, and installed so."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", re.MULTILINE)


def declared() -> set[str]:
    """The project's dependencies and test extras, as pyproject.toml names them."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    return {canonicalize_name(Requirement(text).name) for text in requirements}


def pinned() -> dict[str, str]:
    text = (ROOT / "requirements.lock").read_text()
    return {canonicalize_name(name): pin for name, pin in PIN.findall(text)}


def test_every_declared_dependency_is_pinned_in_the_lock():
    pins = pinned()
    assert declared() - set(pins) == set()
    # Constraints files take no extras and no loose versions: only exact pins.
    lines = [line for line in (ROOT / "requirements.lock").read_text().splitlines() if line]
    requirements = [line for line in lines if not line.lstrip().startswith(("#", "-"))]
    assert all(PIN.match(line) for line in requirements), requirements


def test_the_environment_runs_the_locked_versions():
    # `make test` installs with `-c requirements.lock`: what runs is what was locked.
    mismatched = {}
    for name, pin in pinned().items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            continue  # a dependency of another platform or Python version
        if installed != pin:
            mismatched[name] = (installed, pin)
    assert mismatched == {}
