"""State changes of EPS meetings: create one, build its agenda, record its decisions.

Like the triage operations, these flush and log and leave the commit to the caller. Every
change of a meeting's agenda bumps the meeting's version, so a page read before it is refused.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import gettext
from sqlalchemy import select

from intake.extensions import db
from intake.i18n import N_
from intake.models import AgendaItem, Meeting, Referral, StatusChange, User, utcnow
from intake.rules.clock import local_date, moment_at
from intake.rules.text import display_name
from intake.rules.vocabulary import format_date, status_label
from intake.rules.workflow import Status, TransitionError, allowed_next
from intake.triage.operations import change_status

# What a reference looks like (contract): nothing else is written into a stylesheet.
REFERENCE = re.compile(r"PRE-[0-9]{4}-[0-9]{5}")

# The decision that is not one: the referral stays `eps`, for a later meeting.
POSTPONED = "postponed"
# An item whose children were decided apart, in different ways.
MIXED = "mixed"
MAX_ATTENDEES = 40

# "Nom — Organisation", with an em or en dash, or a hyphen between spaces, or a comma.
ATTENDEE_SEPARATOR = re.compile(r"\s+[—–-]\s+|\s*[—–]\s*|\s*,\s*")


class AttendeeError(ValueError):
    """A line of the attendees' list that does not name a person and an organisation."""


class MeetingStale(Exception):
    """A change sent from a page read before someone else changed the meeting."""

    def __init__(self, meeting: Meeting) -> None:
        super().__init__(meeting.id)
        self.meeting = meeting


def decision_choices() -> list[str]:
    """What an EPS may decide: the moves the workflow allows from `eps`, then postponing."""
    return [status.value for status in allowed_next(Status.EPS)] + [POSTPONED]


def parse_attendees(text: str) -> list[dict[str, str]]:
    """The attendees typed one a line as "Nom — Organisation" or "Nom, Organisation".

    Raises AttendeeError naming the first line that lacks one of the two.
    """
    attendees = []
    lines = [line.strip() for line in text.splitlines()]
    for number, line in enumerate(lines, start=1):
        if not line:
            continue
        name, _, organisation = _split_attendee(line)
        if not name or not organisation:
            raise AttendeeError(
                gettext(
                    "Ligne %(number)d : écrivez le nom puis l’organisation, "
                    "comme « Marie Durand — Éducation nationale ».",
                    number=number,
                )
            )
        if len(name) > 100 or len(organisation) > 100:
            raise AttendeeError(
                gettext("Ligne %(number)d : 100 caractères au plus par nom.", number=number)
            )
        attendees.append({"name": name, "organisation": organisation})
    if len(attendees) > MAX_ATTENDEES:
        raise AttendeeError(gettext("%(max)d participants au plus par réunion.", max=MAX_ATTENDEES))
    return attendees


def _split_attendee(line: str) -> tuple[str, str, str]:
    """A line cut at its first separator: (name, separator, organisation)."""
    match = ATTENDEE_SEPARATOR.search(line)
    if match is None:
        return line, "", ""
    return line[: match.start()].strip(), match.group(), line[match.end() :].strip()


def create_meeting(
    starts_at: datetime, place: str, attendees: list[dict[str, str]], user: User
) -> Meeting:
    """Create a meeting (flushed, not committed)."""
    meeting = Meeting(
        starts_at=starts_at,
        place=place.strip(),
        attendees=attendees,
        created_at=utcnow(),
        created_by_id=user.id,
    )
    db.session.add(meeting)
    db.session.flush()
    current_app.logger.info("meeting created meeting_id=%s user_id=%s", meeting.id, user.id)
    return meeting


def check_meeting_version(meeting: Meeting, submitted: str | int | None) -> None:
    """Raise MeetingStale unless `submitted` (the form's hidden `version`) is the current one;
    a missing or unreadable version counts as stale."""
    text = str(submitted or "").strip()
    if not (text.isascii() and text.isdigit() and len(text) < 10) or int(text) != meeting.version:
        raise MeetingStale(meeting)


def touch_meeting(meeting: Meeting) -> None:
    """Count a change of the agenda as a change of the meeting.

    Adding, moving or deciding an item writes agenda rows only; setting the version makes the
    meeting's own UPDATE (`… WHERE version = <read>`), so two coordinators working on the
    same agenda cannot both succeed from the same page.
    """
    meeting.version = meeting.version + 1


def meeting_day(meeting: Meeting) -> date:
    """The day of the meeting in Paris."""
    return local_date(meeting.starts_at)


def upcoming_meetings(now: datetime | None = None) -> list[Meeting]:
    """Meetings from today on (Paris), soonest first: a meeting that began this morning is
    still where today's decisions are recorded."""
    now = now or utcnow()
    start_of_day = moment_at(local_date(now))
    return list(
        db.session.scalars(
            select(Meeting).where(Meeting.starts_at >= start_of_day).order_by(Meeting.starts_at)
        )
    )


def past_meetings(now: datetime | None = None) -> list[Meeting]:
    """Meetings before today (Paris), latest first."""
    now = now or utcnow()
    start_of_day = moment_at(local_date(now))
    return list(
        db.session.scalars(
            select(Meeting)
            .where(Meeting.starts_at < start_of_day)
            .order_by(Meeting.starts_at.desc())
        )
    )


def find_referral(reference: str) -> Referral | None:
    """The referral of a reference written in full (`PRE-2026-00042`: what people type is
    read by intake.rules.references first), or None."""
    return db.session.scalar(select(Referral).where(Referral.reference == reference))


def open_item_elsewhere(referral: Referral, meeting: Meeting) -> AgendaItem | None:
    """An item of another meeting where this referral still waits for a decision."""
    return db.session.scalar(
        select(AgendaItem)
        .where(AgendaItem.referral_id == referral.id)
        .where(AgendaItem.meeting_id != meeting.id)
        .where(AgendaItem.decision.is_(None))
        .limit(1)
    )


def add_to_agenda(meeting: Meeting, referral: Referral, user: User) -> AgendaItem:
    """Put `referral` at the end of the agenda (not committed).

    A referral `in_review` moves to `eps` through `change_status` (history, notifications and
    the referral's version apply); one already `eps` is added as it is (postponed from an
    earlier meeting, or moved by hand). Anything else raises TransitionError, nothing changed.
    """
    if any(item.referral_id == referral.id for item in meeting.items):
        raise TransitionError(
            N_("%(reference)s est déjà à l’ordre du jour de cette réunion."),
            field="reference",
            reference=referral.reference,
        )
    if referral.status not in (Status.IN_REVIEW, Status.EPS):
        raise TransitionError(
            N_(
                "%(reference)s doit d’abord être « en cours d’examen » "
                "(il est « %(current)s ») : rien n’a été changé."
            ),
            field="reference",
            reference=referral.reference,
            current=status_label(referral.status),
        )
    other = open_item_elsewhere(referral, meeting)
    if other is not None:
        raise TransitionError(
            N_(
                "%(reference)s est déjà à l’ordre du jour de la réunion du %(day)s : "
                "enregistrez-y d’abord sa décision, ou « reporté »."
            ),
            field="reference",
            reference=referral.reference,
            day=format_date(other.meeting.starts_at),
        )
    if referral.status == Status.IN_REVIEW:
        change_status(
            referral,
            Status.EPS.value,
            gettext(
                "Inscrite à l’ordre du jour de la réunion EPS du %(day)s.",
                day=format_date(meeting.starts_at),
            ),
            user,
        )
    item = AgendaItem(referral=referral, position=len(meeting.items))
    meeting.items.append(item)
    touch_meeting(meeting)
    db.session.flush()
    current_app.logger.info(
        "agenda item added meeting_id=%s reference=%s user_id=%s",
        meeting.id,
        referral.reference,
        user.id,
    )
    return item


def renumber(meeting: Meeting, items: list[AgendaItem]) -> None:
    """Give `items` the positions 0, 1, 2… in their order."""
    for position, item in enumerate(items):
        item.position = position
    meeting.items.sort(key=lambda item: item.position)


def move_item(meeting: Meeting, item: AgendaItem, direction: str, user: User) -> None:
    """Swap `item` with its neighbour above (`up`) or below (`down`); at an end, nothing moves
    but the meeting still counts as changed (not committed)."""
    items = list(meeting.items)
    index = items.index(item)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]
    renumber(meeting, items)
    touch_meeting(meeting)
    current_app.logger.info(
        "agenda item moved meeting_id=%s item_id=%s direction=%s user_id=%s",
        meeting.id,
        item.id,
        direction,
        user.id,
    )


def remove_item(meeting: Meeting, item: AgendaItem, user: User) -> None:
    """Take an undecided item off the agenda (not committed).

    The referral's status does not change: it stays `eps`, waiting for another meeting, and
    a coordinator who wants it elsewhere moves it on its own page, with a comment, in its
    history. Refused once decided: the minute and the decision are the meeting's record.
    """
    if item.decision is not None:
        raise TransitionError(
            N_("La décision de ce dossier est enregistrée : il reste à l’ordre du jour.")
        )
    meeting.items.remove(item)
    db.session.delete(item)
    renumber(meeting, list(meeting.items))
    touch_meeting(meeting)
    current_app.logger.info(
        "agenda item removed meeting_id=%s item_id=%s user_id=%s", meeting.id, item.id, user.id
    )


def record_decision(
    meeting: Meeting,
    item: AgendaItem,
    target: str,
    minute: str,
    user: User,
    *,
    children: Collection[int] | None = None,
    reason: str | None = None,
    service: str | None = None,
    withdrawn_by: str | None = None,
    share_reason: bool = False,
) -> AgendaItem:
    """Record what the EPS decided for `item`'s children numbered `children` (None: every
    child of the referral still before the EPS), not committed.

    Each child's status is reached through `change_status`, with the minute as the change's
    comment: the workflow's rules apply (a reason for a refusal, an agreement covering the
    child before `accepted`…) and the decision e-mails are queued as from the referral's
    page; each change names the item. The item is decided once no child of the referral is
    left before the EPS: its `decision` is theirs when they agree, MIXED when they differ.
    `postponed` decides the item as a whole and changes no status: the children stay `eps`,
    free to go on a later meeting. Raises TransitionError and changes nothing when refused.
    """
    referral = item.referral
    if item.decision is not None:
        raise TransitionError(N_("La décision de ce dossier est déjà enregistrée."))
    if target not in decision_choices():
        raise TransitionError(N_("Choisissez la décision de l’équipe."))
    waiting = [child.number for child in referral.children if child.status == Status.EPS]
    if not waiting:
        raise TransitionError(
            N_("%(reference)s n’est plus à l’ordre du jour de l’EPS (il est « %(current)s »)."),
            reference=referral.reference,
            current=status_label(referral.status),
        )
    if target == POSTPONED:
        item.decision = POSTPONED
    else:
        chosen = sorted(set(children or ())) or waiting
        outside = [number for number in chosen if number not in waiting]
        if outside:
            raise TransitionError(
                N_("Enfant %(number)s : il n’est pas, ou plus, à l’ordre du jour de l’EPS."),
                field="children",
                number=str(outside[0]),
            )
        changes = change_status(
            referral,
            target,
            minute,
            user,
            children=chosen,
            reason=reason,
            service=service,
            withdrawn_by=withdrawn_by,
            share_reason=share_reason,
        )
        for change in changes:
            change.agenda_item_id = item.id
        item.status_change = item.status_change or changes[0]
        if all(child.status != Status.EPS for child in referral.children):
            decided = {change.to_status for change in item_decisions(item, changes)}
            item.decision = decided.pop() if len(decided) == 1 else MIXED
    # Several decisions of one item: their minutes one after the other.
    item.minute = "\n".join(part for part in (item.minute, minute.strip()) if part)
    item.decided_at = utcnow()
    item.decided_by_id = user.id
    touch_meeting(meeting)
    db.session.flush()
    current_app.logger.info(
        "agenda decision recorded meeting_id=%s reference=%s decision=%s item=%s user_id=%s",
        meeting.id,
        referral.reference,
        target,
        item.decision or "partial",
        user.id,
    )
    return item


def item_decisions(item: AgendaItem, new: list[StatusChange] = ()) -> list[StatusChange]:
    """The changes `item`'s decisions made, one per child, with `new` ones not flushed yet."""
    stored = [change for change in item.decisions if change not in new]
    return stored + list(new)


def initial(last_name: str) -> str:
    """The initial of a last name, as the fiche shows it ("Bernard" → "B.")."""
    letter = next((c for c in last_name if c.isalpha()), "")
    return f"{letter.upper()}." if letter else ""


def short_name(child: Any) -> str:
    """First name and initial of the last name: "Inès B."; what the EPS needs, no more. The
    first name shown with its capital (`display_name`), wherever a meeting's pages, fiches or
    forms name a child."""
    return f"{display_name(child.first_name)} {initial(child.last_name)}".strip()


# Screening reasons that quote the family's address (postcode, commune, street): the fiche
# says the same outcome without it, as the charter keeps the address out of the EPS.
ADDRESS_FREE_REASONS = {
    "residence_outside_qpv": N_("Domicile : hors des rues des quartiers prioritaires connues."),
    "residence_outside_territory": N_("Domicile : hors du territoire du programme."),
    "residence_bad_postcode": N_("Domicile : code postal illisible, à vérifier."),
    "residence_no_number": N_(
        "Domicile : numéro absent, alors que seule une partie de la rue est en quartier "
        "prioritaire, à vérifier."
    ),
}


def fiche_reason(reason: dict[str, Any]) -> str:
    """A stored screening reason in words, without the address for the ones that quote it."""
    template = ADDRESS_FREE_REASONS.get(reason.get("code", ""))
    if template is not None:
        return gettext(template)
    return gettext(reason.get("template", ""), **reason.get("params", {}))


def css_string(text: str) -> str:
    """`text` as a CSS string literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return f'"{escaped}"'


def margin_css(references: list[str], label: str) -> str:
    """The print stylesheet that writes each fiche's reference in the top margin of its pages.

    CSS cannot read a page's reference from its content in Chromium (no `string-set`), and the
    CSP forbids an inline <style>: so each fiche gets a named page (`fiche-N`) whose margin box
    says its reference. References that do not look like one are left out.
    """
    rules = []
    for index, reference in enumerate(references):
        if not REFERENCE.fullmatch(reference):
            continue
        content = css_string(f"{reference} · {label}")
        rules.append(
            f"@page fiche-{index} {{ @top-right {{ content: {content}; }} }}\n"
            f".fiche--{index} {{ page: fiche-{index}; }}\n"
        )
    return "".join(rules)
