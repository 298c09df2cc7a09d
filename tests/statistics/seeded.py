"""A known year, made the way the programme lives it: families and professionals send the
public forms, the coordinator reviews, records agreements, decides (at the desk and at an
EPS meeting), follows parcours and closes them; two years later retention anonymises what
has ended. Each step at its own date (time-machine), so that the school year 2025-2026
holds referrals and exits on its very edges.

`EXPECTED` is what the ANCT survey must say of that school year, worked out by hand below
from the story, not read from the code.
"""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine
from flask import Flask
from sqlalchemy import select

from intake.extensions import db
from intake.models import Referral
from tests.meetings.test_meetings import add, decide
from tests.parcours.test_parcours_pages import post_child
from tests.support.app import login, post_change
from tests.support.builders import REFERRER, child_fields, make_meeting

# The school year counted: 1 September 2025 to 31 August 2026.
YEAR = 2025


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def family(guardian: str, address: str, postcode: str, city: str, domains: list[str]) -> dict:
    return {
        "guardian_name": guardian,
        "guardian_phone": "06 12 34 56 78",
        "guardian_email": "",
        "address": address,
        "postcode": postcode,
        "city": city,
        "domains": domains,
        "situation": f"Situation de la famille {guardian}.",
        "website": "",
    }


def children(*rows: dict[str, str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for index, row in enumerate(rows):
        fields.update(child_fields(index, **row))
    return fields


def send(client, path: str, data: dict) -> str:
    """Send a public form as a visitor; the reference of what it stored."""
    answer = client.post(path, data=data)
    assert answer.status_code == 303, answer.get_data(as_text=True)
    with client.application.app_context():
        return db.session.scalars(select(Referral.reference).order_by(Referral.id.desc())).first()


def orientation(role: str, **fields) -> dict:
    return {**fields, **REFERRER, "referrer_role": role, "family_informed": "y"}


def request(**fields) -> dict:
    return {**fields, "consent": "y", "heard_from": ""}


def staff(client, users, moment: datetime):
    """Travel to `moment` and log in there (a staff session lasts hours, not years)."""
    traveller = time_machine.travel(moment, tick=False)
    traveller.start()
    assert login(client, users["coordinator"]).status_code == 303
    return traveller


def ok(answer) -> None:
    assert answer.status_code == 303, answer.get_data(as_text=True)[:3000]


def agree(client, reference: str, on: str, children: str | None = None) -> None:
    extra = {"children": children} if children else {}
    ok(
        post_change(
            client,
            reference,
            "agreement",
            guardian_name="Parent",
            given_on=on,
            method="phone",
            **extra,
        )
    )


def move(client, reference: str, status: str, **data) -> None:
    ok(post_change(client, reference, status=status, **data))


def seed_year(app: Flask, client, users) -> dict[str, str]:
    """The story; returns the references by name."""
    refs: dict[str, str] = {}
    amrani = family(
        "Nadia Amrani", "3 rue des Tilleuls", "62999", "Testville", ["school", "health"]
    )
    with time_machine.travel(at(2025, 6, 2), tick=False):
        # R1, before the year: Amina (16 on its first day, 17 on 20 October) and Bilal.
        refs["R1"] = send(
            client,
            "/orientation",
            orientation(
                "teacher",
                **amrani,
                **children(
                    {"first_name": "Amina", "last_name": "Amrani", "birth_date": "2008-10-20",
                     "school": "0629002B", "class_level": "other"},
                    {"first_name": "Bilal", "last_name": "Amrani", "birth_date": "2012-03-03",
                     "school": "0629002B", "class_level": "6e"},
                ),
            ),
        )  # fmt: skip
    traveller = staff(client, users, at(2025, 6, 10))
    agree(client, refs["R1"], "2025-06-10")
    for status in ("in_review", "eps", "accepted"):
        move(client, refs["R1"], status)
    ok(post_child(client, refs["R1"], "profil", 1, sex="F"))
    ok(post_child(client, refs["R1"], "objectifs", 1, domain="health", text="Bilan de santé"))
    # An action over before the year: not counted.
    ok(
        post_child(
            client, refs["R1"], "actions", 1, kind="tutoring", detail="", mode="individual",
            partner="", started_on="2025-06-15", ended_on="2025-07-15",
        )
    )  # fmt: skip
    traveller.stop()
    # Bilal leaves the day before the year: neither supported nor an exit of the year.
    traveller = staff(client, users, at(2025, 8, 31, 12))
    ok(
        post_child(
            client, refs["R1"], "sortie", 2, ended_on="2025-08-31", exit_reason="moved_away",
            confirm="y",
        )
    )  # fmt: skip
    traveller.stop()

    # R2, the year's first day (09:30 in Paris): Sami, a parent's request.
    with time_machine.travel(at(2025, 9, 1, 7, 30), tick=False):
        refs["R2"] = send(
            client,
            "/demande",
            request(
                **family("Rachid Benali", "10 rue de la Gare", "62999", "Testville", ["family"]),
                **children({"first_name": "Sami", "last_name": "Benali",
                            "birth_date": "2019-05-01", "school": "0629003C",
                            "class_level": "CP"}),
            ),
        )  # fmt: skip
    traveller = staff(client, users, at(2025, 9, 20))
    agree(client, refs["R2"], "2025-09-20")
    for status in ("in_review", "eps", "accepted"):
        move(client, refs["R2"], status)
    ok(post_child(client, refs["R2"], "profil", 1, sex="M"))
    ok(post_child(client, refs["R2"], "objectifs", 1, domain="family", text="Parentalité"))
    ok(
        post_child(
            client, refs["R2"], "actions", 1, kind="homework_club", detail="",
            mode="collective", partner="", started_on="2025-10-01", ended_on="2025-12-01",
        )
    )  # fmt: skip
    traveller.stop()

    # R7: Léo, a request the family then declines; anonymised two years later.
    with time_machine.travel(at(2025, 10, 1), tick=False):
        refs["R7"] = send(
            client,
            "/demande",
            request(
                **family("Julie Caron", "3 rue des Tilleuls", "62999", "Testville", ["school"]),
                **children({"first_name": "Léo", "last_name": "Caron",
                            "birth_date": "2014-02-02", "school": "0629001A",
                            "class_level": "CM2"}),
            ),
        )  # fmt: skip
    traveller = staff(client, users, at(2025, 10, 15))
    move(client, refs["R7"], "in_review")
    move(client, refs["R7"], "declined", reason="family_declined", confirm="y")
    # Amina leaves at 17, in the year.
    ok(
        post_child(
            client, refs["R1"], "sortie", 1, ended_on="2025-10-15", exit_reason="age_limit",
            confirm="y",
        )
    )  # fmt: skip
    traveller.stop()

    # R3: Awa and Moussa, sent by a social worker; decided apart at the EPS.
    diallo = family("Fatou Diallo", "3 rue des Tilleuls", "62999", "Testville",
                    ["school", "behaviour"])  # fmt: skip
    with time_machine.travel(at(2026, 1, 10), tick=False):
        refs["R3"] = send(
            client,
            "/orientation",
            orientation(
                "social_worker",
                **diallo,
                **children(
                    {"first_name": "Awa", "last_name": "Diallo", "birth_date": "2022-01-15",
                     "school": "0629001A", "class_level": "PS"},
                    {"first_name": "Moussa", "last_name": "Diallo", "birth_date": "2015-06-06",
                     "school": "0629001A", "class_level": "CM1"},
                ),
            ),
        )  # fmt: skip
    traveller = staff(client, users, at(2026, 1, 12))
    move(client, refs["R3"], "in_review")
    meeting = make_meeting(app, at(2026, 1, 20, 9))
    ok(add(client, meeting, refs["R3"]))
    traveller.stop()
    traveller = staff(client, users, at(2026, 1, 20, 11))
    agree(client, refs["R3"], "2026-01-20", children="1")
    ok(decide(client, app, meeting, refs["R3"], status="accepted", children="1", minute="Awa."))
    ok(
        decide(
            client, app, meeting, refs["R3"], status="redirected",
            reason="mainstream_service", service="clas", minute="Moussa : le CLAS.",
        )
    )  # fmt: skip
    ok(post_child(client, refs["R3"], "objectifs", 1, domain="school", text="Langage"))
    ok(
        post_child(
            client, refs["R3"], "actions", 1, kind="tutoring", detail="", mode="individual",
            partner="", started_on="2026-02-01", ended_on="",
        )
    )  # fmt: skip
    # A meeting of the next year: not counted.
    make_meeting(app, at(2026, 10, 1, 9))
    traveller.stop()

    # R4: Noé, sent by the PMI, declined for his age.
    with time_machine.travel(at(2026, 3, 5), tick=False):
        refs["R4"] = send(
            client,
            "/orientation",
            orientation(
                "pmi",
                **family("Claire Petit", "2 rue Haute", "62998", "Autreville", ["health"]),
                **children({"first_name": "Noé", "last_name": "Petit",
                            "birth_date": "2023-12-01", "school": "other",
                            "school_other": "Crèche Les Lutins", "class_level": "none"}),
            ),
        )  # fmt: skip
    traveller = staff(client, users, at(2026, 3, 6))
    move(client, refs["R4"], "in_review")
    move(client, refs["R4"], "declined", reason="age", confirm="y")
    traveller.stop()

    # Sami's parcours ends on the year's last day: an exit of the year, not active after it.
    traveller = staff(client, users, at(2026, 8, 31, 10))
    ok(
        post_child(
            client, refs["R2"], "sortie", 1, ended_on="2026-08-31", exit_reason="goals_met",
            confirm="y",
        )
    )  # fmt: skip
    traveller.stop()
    # R5 at 23:30 in Paris on the last day (21:30 UTC): in the year. R6 an hour later, on
    # 1 September in Paris (still 31 August in UTC): in the next.
    with time_machine.travel(at(2026, 8, 31, 21, 30), tick=False):
        refs["R5"] = send(
            client,
            "/demande",
            request(
                **family("Emma Roux", "2 rue Haute", "62998", "Autreville", ["language"]),
                **children({"first_name": "Lina", "last_name": "Roux",
                            "birth_date": "2017-07-07", "school": "0629004D",
                            "class_level": "CE2"}),
            ),
        )  # fmt: skip
    with time_machine.travel(at(2026, 8, 31, 22, 30), tick=False):
        refs["R6"] = send(
            client,
            "/demande",
            request(
                **family("Hugo Blanc", "10 rue de la Gare", "62999", "Testville", ["school"]),
                **children({"first_name": "Tom", "last_name": "Blanc",
                            "birth_date": "2016-01-01", "school": "0629003C",
                            "class_level": "CM1"}),
            ),
        )  # fmt: skip
    return refs


# What the survey must say of the school year 2025-2026, from the story above.
EXPECTED = {
    # R2, R7, R3, R4, R5 (R1 is of June 2025, R6 of 1 September 2026 in Paris).
    "referrals_received": 5,
    "children_referred": 6,
    # Amina (entered in June, left in October), Sami, Awa. Not Bilal (left 31 August 2025).
    "children_supported": 3,
    "entries": 2,  # Sami, Awa
    "exits": 2,  # Amina, Sami
    "active_on_last_day": 1,  # Awa (Sami left that day)
    "sex_f": 1,
    "sex_m": 1,
    "sex_not_stated": 1,
    "age_2_5": 1,  # Awa, 3
    "age_6_10": 1,  # Sami, 6
    "age_11_16": 1,  # Amina, 16 on 1 September, 17 in October
    "age_17_plus": 0,
    "level_maternelle": 1,
    "level_elementaire": 1,
    "level_college": 0,
    "level_lycee": 1,  # Amina: "Autre" class at 16
    "level_none": 0,
    "qpv_resident": 2,  # Amina, Awa
    "outside_qpv": 1,
    "rep_plus": 1,  # Awa
    "rep": 1,  # Amina
    "no_priority_network": 1,
    "referred_by_school": 1,
    "referred_by_social": 1,
    "referred_by_health": 0,
    "referred_by_family": 1,
    "referred_by_other": 0,
    "exit_goals_met": 1,
    "exit_moved_away": 0,  # Bilal's was the day before the year
    "exit_age_limit": 1,
    "exit_family_ended": 0,
    "exit_handed_over": 0,
    "exit_other": 0,
    # Amina 2025-06-10 to 2025-10-15: 127 days; Sami 2025-09-20 to 2026-08-31: 345 days.
    "duration_median_days": 236,
    "duration_mean_days": 236,
    "eps_meetings": 1,
}

# The breakdowns the page and the workbook's detail show, by key and code.
EXPECTED_LINES = {
    "source": {"professional": 2, "parent": 3},
    "role": {"social_worker": 1, "pmi": 1},
    "school": {"0629001A": 3, "0629003C": 1, "0629004D": 1, "other": 1},
    "network": {"REP+": 3, "REP": 0, "none": 2, "unlisted": 1},
    "qpv": {"QN06299X": 3, "outside_qpv": 3},
    "eligibility": {"eligible": 3, "to_check": 1, "not_eligible": 2},
    # Amina and Bilal were accepted in June: not decisions of the year.
    "outcome": {"accepted": 2, "redirected": 1, "declined": 2, "withdrawn": 0},
    "reason": {"family_declined": 1, "mainstream_service": 1, "age": 1},
    "service": {"clas": 1},
    "exit_reason": {"goals_met": 1, "age_limit": 1},
    "duration": {"under_3m": 0, "3_6m": 1, "6_12m": 1, "12_24m": 0, "24m_plus": 0},
    "action_kind": {"homework_club": 1, "tutoring": 1},
    "action_mode": {"individual": 1, "collective": 1},
    "objective_domain": {"health": 1, "family": 1, "school": 1},
    "domain": {"school": 2, "health": 1, "family": 1, "behaviour": 1},
}
# Referrals and children received per month of the year, in order from September.
EXPECTED_MONTHS = [
    (1, 1), (1, 1), (0, 0), (0, 0), (1, 2), (0, 0), (1, 1), (0, 0), (0, 0), (0, 0), (0, 0),
    (1, 1),
]  # fmt: skip
# Medians of days from receipt, over the children of the year's referrals that reached it:
# first action Sami 19, Léo 14, Awa 2, Moussa 2, Noé 1; EPS Sami 19, Awa 2, Moussa 2;
# decision Sami 19, Léo 14, Awa 10, Moussa 10, Noé 1.
EXPECTED_DELAYS = {"first_action": (2.0, 5), "eps": (2.0, 3), "decision": (10.0, 5)}
EXPECTED_REVIEWED = 2  # Awa and Moussa, decided at the meeting of 20 January
