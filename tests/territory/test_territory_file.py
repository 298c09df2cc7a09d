"""Rewriting the territory file: validated first, atomic, everything untouched kept as it was."""

from __future__ import annotations

import pytest
import tomlkit

from intake.opendata.territory_file import read_document, unified_diff, write_text
from intake.territory.reader import TerritoryError, load_territory
from tests.support.app import TERRITORY


def test_a_document_round_trips_byte_for_byte(tmp_path):
    path = tmp_path / "territory.toml"
    path.write_text(TERRITORY.read_text())
    assert tomlkit.dumps(read_document(path)) == TERRITORY.read_text()


def test_an_edit_keeps_comments_and_order_and_loads(tmp_path):
    path = tmp_path / "territory.toml"
    path.write_text(TERRITORY.read_text())
    document = read_document(path)
    document["qpv"][0]["streets"] = [{"name": "rue Neuve"}]
    before, after = path.read_text(), tomlkit.dumps(document)
    write_text(path, after)
    assert path.read_text() == after
    assert load_territory(path).qpvs[0].streets[0].name == "rue Neuve"
    # Only the edited lines differ; every comment of the original is still there.
    comments = [line for line in before.splitlines() if line.lstrip().startswith("#")]
    assert all(comment in after for comment in comments)
    diff = unified_diff(path, before, after)
    assert diff.startswith(f"--- {path} (current)\n+++ {path} (imported)\n")
    added = [line for line in diff.splitlines() if line.startswith("+") and "rue Neuve" in line]
    assert len(added) == 1
    assert unified_diff(path, before, before) == ""


def test_a_text_that_does_not_validate_leaves_the_file_untouched(tmp_path):
    path = tmp_path / "territory.toml"
    path.write_text(TERRITORY.read_text())
    broken = TERRITORY.read_text().replace('rule = "qpv_or_priority_school"', 'rule = "x"')
    with pytest.raises(TerritoryError, match="rule"):
        write_text(path, broken)
    assert path.read_text() == TERRITORY.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["territory.toml"]  # no temporary left
