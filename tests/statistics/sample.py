"""A Figures made by hand, for the tests of the page's rendering (tests/statistics/test_page.py
and the browser's): every section filled, a long label, an empty breakdown, a missing median."""

from __future__ import annotations

from datetime import date

from intake.rules.statistics import Period
from intake.statistics.shapes import Breakdown, Delay, Figures, Line, Month

LONG_SCHOOL = "École élémentaire publique Jean-Baptiste Poquelin dit Molière, site des Tilleuls"


def sample_figures(period: Period, today: date) -> Figures:
    """Figures for `period` with distinctive counts (1 234 referrals, 17 exits…)."""
    months = [
        Month(month, referrals=10 + index * 3, children=14 + index * 4)
        for index, month in enumerate(period.months())
    ]
    return Figures(
        period=period,
        as_of=period.as_of(today),
        referrals_received=1234,
        children_referred=1587,
        months=months,
        received=[
            Breakdown(
                "source",
                "Par origine",
                "referrals",
                [
                    Line("professional", "Orientation par un professionnel", 1100),
                    Line("parent", "Demande de la famille", 134),
                ],
                definition="Qui a envoyé l’orientation.",
            ),
            Breakdown(
                "school",
                "Par établissement",
                "children",
                [Line("0629001A", LONG_SCHOOL, 812), Line("0629002B", "Collège Voltaire", 775)],
            ),
            Breakdown(
                "qpv", "Par quartier prioritaire", "children", [Line("QN0001", "Les Tilleuls", 0)]
            ),
        ],
        decisions=[
            Breakdown(
                "outcome",
                "Par décision",
                "decisions",
                [
                    Line("accepted", "Accepté", 402),
                    Line("declined", "Refusé", 58),
                    Line("redirected", "Réorienté", 33),
                ],
            ),
        ],
        delays=[
            Delay("first_action", "Première action", 3.5, 480),
            Delay("eps", "Passage en EPS", 21.0, 410),
            Delay("decision", "Décision", None, 0),
        ],
        supported=611,
        entries=402,
        exits=17,
        active=588,
        duration_median=183.5,
        duration_mean=201.2,
        parcours=[
            Breakdown(
                "exit_reason",
                "Sorties par motif",
                "exits",
                [Line("goals_met", "Objectifs atteints", 12), Line("moved", "Déménagement", 5)],
            ),
            Breakdown(
                "duration",
                "Durées des parcours",
                "children",
                [Line("under_3m", "Moins de 3 mois", 4), Line("3_6m", "3 à 6 mois", 13)],
            ),
        ],
        supported_by=[
            Breakdown(
                "sex",
                "Par sexe",
                "children",
                [Line("female", "Filles", 298), Line("male", "Garçons", 313)],
            ),
        ],
        eps_meetings=9,
        children_reviewed=455,
    )
