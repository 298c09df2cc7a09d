"""The public forms' school list: grouped by commune, and never a school's REP status."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.support.app import TERRITORY
from tests.support.builders import child_fields, orientation

FORMS = ["/orientation", "/demande"]


class SelectReader(HTMLParser):
    """The options of one <select>, each as (its optgroup's label or None, value, text)."""

    def __init__(self, select_id: str) -> None:
        super().__init__()
        self.select_id = select_id
        self.inside = False
        self.group: str | None = None
        self.options: list[list] = []
        self.selected: list[str] = []
        self.markup: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "select" and attributes.get("id") == self.select_id:
            self.inside = True
        if not self.inside:
            return
        self.markup.append(self.get_starttag_text())
        if tag == "optgroup":
            self.group = attributes["label"]
        elif tag == "option":
            self.options.append([self.group, attributes["value"], ""])
            if "selected" in attributes:
                self.selected.append(attributes["value"])

    def handle_endtag(self, tag):
        if tag == "optgroup":
            self.group = None
        elif tag == "select":
            self.inside = False

    def handle_data(self, data):
        if self.inside and self.options:
            self.options[-1][2] += data
            self.markup.append(data)


def school_select(html: str, index: int = 0) -> SelectReader:
    reader = SelectReader(f"children-{index}-school")
    reader.feed(html)
    assert reader.options, "no school list on the page"
    return reader


@pytest.mark.parametrize("path", FORMS)
def test_schools_are_grouped_by_commune_in_the_files_order(client, path):
    select = school_select(client.get(path).get_data(as_text=True))
    assert [tuple(option) for option in select.options] == [
        (None, "", "Choisissez un établissement"),
        ("Testville", "0629002B", "Collège Jean Moulin"),
        ("Testville", "0629003C", "École du Centre"),
        ("Testville", "0629001A", "École Les Tilleuls"),
        ("Autreville", "0629004D", "École d'Autreville"),
        (None, "other", "Autre, ou non scolarisé"),
    ]


@pytest.mark.parametrize("path", FORMS)
def test_the_public_never_sees_a_schools_network(app, client, path):
    territory = app.extensions["territory"]
    assert {s.priority for s in territory.schools} == {"REP+", "REP", ""}  # all three present
    html = client.get(path).get_data(as_text=True)
    markup = "".join(school_select(html).markup)
    for school in territory.schools:
        assert f">{school.name}<" in html.replace("&#39;", "'")
    # Not in a label, an attribute or anywhere else on the page.
    assert "REP" not in markup and "prioritaire" not in markup
    assert "REP" not in html


def test_a_refused_form_keeps_the_chosen_school_in_its_group_and_no_network(client):
    data = orientation(**child_fields(0, school="0629001A", first_name=""))
    response = client.post("/orientation", data=data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Indiquez le prénom de l’enfant." in html  # refused, shown again
    select = school_select(html)
    assert select.selected == ["0629001A"]
    assert ["Testville", "0629001A", "École Les Tilleuls"] in select.options
    assert "REP" not in html


def test_a_name_found_in_two_communes_says_which(make_app, tmp_path):
    path = tmp_path / "territory.toml"
    path.write_text(
        TERRITORY.read_text(encoding="utf-8").replace(
            'name = "École d\'Autreville"', 'name = "Ecole du centre"'
        ),
        encoding="utf-8",
    )
    client = make_app(INTAKE_TERRITORY=str(path)).test_client()
    options = school_select(client.get("/demande").get_data(as_text=True)).options
    assert ["Testville", "0629003C", "École du Centre (Testville)"] in options
    assert ["Autreville", "0629004D", "Ecole du centre (Autreville)"] in options
    assert ["Testville", "0629001A", "École Les Tilleuls"] in options
