"""What each row of a queue page shows, worded in Python once per page.

Written in the template, a row cost a dozen calls through Jinja's runtime (the detail link's
`url_for`, a timestamp, two durations in words, the labels of its codes…), about 0.15 ms a
row: a search listing 25 referrals at 100,000 and 14 at 1,000 took 1.8 ms longer for its rows
alone. Here the link is the route's address made once with each reference put in its place,
a duration is put into words once per number of days, and the labels are looked up in dicts.
The template only writes the strings out (escaped, as before).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, url_for
from flask_babel import gettext, ngettext
from werkzeug.routing.converters import UnicodeConverter

from intake.extensions import db
from intake.models import User
from intake.rules.retention import days_since, is_overdue, is_stalled
from intake.rules.text import display_name
from intake.rules.vocabulary import ELIGIBILITY, SOURCES, datetime_formatter, labels, status_labels
from intake.triage.page import Listed

# Stands for the reference in the detail route's address, made once per page. Letters only,
# which the route writes out as they are.
PLACEHOLDER = "REFERENCEPLACEHOLDER"


@dataclass(frozen=True)
class QueueRow:
    """One referral as its queue row shows it."""

    id: int
    reference: str
    url: str
    urgent: bool
    overdue: bool
    stalled: bool
    undelivered: bool
    interpreter: bool
    uncertain: bool
    received: str
    waited: str
    last_action: str
    source: str
    children: str
    eligibility: str
    eligibility_label: str
    status: str
    referent: str | None


def detail_url() -> Callable[[str], str]:
    """The address of a referral's detail page, by reference: what `url_for` writes, with the
    reference quoted as the route's converter quotes it."""
    address = url_for("triage.detail", reference=PLACEHOLDER)
    before, _, after = address.partition(PLACEHOLDER)
    # The route's `<reference>` is the default converter's: it quotes what it writes.
    quote = UnicodeConverter(current_app.url_map).to_url
    return lambda reference: before + quote(reference) + after


class InWords:
    """`ngettext` of a number of days (`none` for none, `one`, when given, for one: "hier"
    rather than "il y a 1 jour"), each number put into words once per page."""

    def __init__(self, singular: str, plural: str, none: str, one: str | None = None) -> None:
        self.singular, self.plural = singular, plural
        self.words: dict[int, str] = {0: none} if one is None else {0: none, 1: one}

    def __call__(self, days: int) -> str:
        try:
            return self.words[days]
        except KeyError:
            words = self.words[days] = ngettext(self.singular, self.plural, days)
            return words


def referent_of(user_id: int | None, referents: Mapping[int, str]) -> str | None:
    """The e-mail of the référent `user_id`, from `referents` or, for an account named since
    they were read, from the database."""
    if user_id is None:
        return None
    if user_id in referents:
        return referents[user_id]
    user = db.session.get(User, user_id)
    return user.email if user else None


def queue_rows(
    referrals: Sequence[Listed],
    now: datetime,
    remind_after_days: int,
    undelivered: Collection,
    referents: Mapping[int, str],
) -> list[QueueRow]:
    """The rows of `referrals` (as `page.listed` reads them) as the queue shows them at
    `now`: `remind_after_days` marks the overdue and stalled ones, `undelivered` holds the ids
    of those with an e-mail that could not be delivered, `referents` the e-mail of each
    account by id (at least of every référent of these referrals)."""
    url = detail_url()
    when = datetime_formatter()
    # Paris calendar days (intake.rules.clock): received at 23:30, seen at 00:10, "hier".
    waited = InWords(
        "reçue il y a %(num)d jour",
        "reçue il y a %(num)d jours",
        gettext("reçue aujourd’hui"),
        gettext("reçue hier"),
    )
    untouched = InWords(
        "il y a %(num)d jour", "il y a %(num)d jours", gettext("aujourd’hui"), gettext("hier")
    )
    sources, eligibility, statuses = labels(SOURCES), labels(ELIGIBILITY), status_labels()
    rows = []
    for referral in referrals:
        rows.append(
            QueueRow(
                id=referral.id,
                reference=referral.reference,
                url=url(referral.reference),
                urgent=referral.urgent,
                overdue=is_overdue(referral.status, referral.received_at, now, remind_after_days),
                stalled=is_stalled(
                    referral.status, referral.last_activity_at, now, remind_after_days
                ),
                undelivered=referral.id in undelivered,
                interpreter=referral.interpreter,
                uncertain=referral.contact_doubt is not None,
                received=when(referral.received_at),
                waited=waited(days_since(referral.received_at, now)),
                last_action=untouched(days_since(referral.last_activity_at, now)),
                source=sources.get(referral.source, referral.source),
                children=", ".join(
                    display_name(f"{first} {last}") for first, last in referral.children
                ),
                eligibility=referral.eligibility,
                eligibility_label=eligibility.get(referral.eligibility, referral.eligibility),
                status=statuses[referral.status],
                referent=referent_of(referral.assigned_to_id, referents),
            )
        )
    return rows
