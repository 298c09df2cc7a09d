"""Write an outbox message's e-mail when the worker sends it, from what its row records.

A submission or a decision only stores the message's kind, recipients, referral and a small
`context`; the templates run here, in the worker, outside any request. The digest is the
exception: it is rendered when queued (from cron) and its stored subject and bodies are sent
as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from babel.dates import format_date
from flask import current_app, render_template
from flask_babel import force_locale, get_locale, gettext

from intake.models import OutboxMessage, Referral, Source
from intake.notifications.failures import ReferralGone
from intake.rules.clock import local_datetime
from intake.rules.decisions import PUBLIC_REASONS, PUBLIC_SERVICES
from intake.rules.progress import (
    SERVICE_DESTINATIONS,
    ChildOutcome,
    Outcome,
    birth_years,
    child_standing,
    join_words,
    same_year_numbers,
    whole,
)
from intake.rules.reach import DEFAULT_LANGUAGE, LANGUAGES
from intake.rules.screening import OTHER_SCHOOL
from intake.rules.vocabulary import CLASS_LEVELS
from intake.rules.workflow import PUBLIC_LABELS, Status
from intake.territory.model import Service
from intake.tokens import make_status_token

DECISION_PREFIX = "decision_"

T = TypeVar("T")

# The coordination's e-mails (the alert, the digest) are in French, as the staff pages are;
# so is a message whose recipient's language is unknown. A family or a referrer is written
# to in one of LANGUAGES (contract, `contact_language`).
STAFF_LANGUAGE = DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Rendered:
    """The three parts of an e-mail."""

    subject: str
    text: str
    html: str | None


def public_url(config: Mapping[str, Any], path: str) -> str:
    """An absolute link for an e-mail, built on `INTAKE_BASE_URL` rather than the request."""
    return config["INTAKE_BASE_URL"].rstrip("/") + path


def status_link(
    config: Mapping[str, Any], referral: Referral, audience: str, language: str = STAFF_LANGUAGE
) -> str:
    """A fresh signed `/suivi/…` link for one recipient: the referrer's or the family's
    (`audience`), each opening the page as its reader should see it, in the language the
    e-mail is written in (public pages take `?lang=`, whatever the browser's language)."""
    token = make_status_token(referral.reference, audience)
    return public_url(config, f"/suivi/{token}?lang={language}")


def sender_audience(referral: Referral) -> str:
    """Who sent the referral: a professional ("referrer"), or the family itself ("family")."""
    return "referrer" if referral.source == Source.PROFESSIONAL else "family"


def recipient_audience(referral: Referral, recipients: list[str]) -> str:
    """Whom a decision notice queued without its audience (before the family had a link of
    its own) was written to: the referrer when it went to the referrer's address."""
    referrer = (referral.referrer_email or "").strip().lower()
    professional = referral.source == Source.PROFESSIONAL and referrer
    if professional and any(address.strip().lower() == referrer for address in recipients):
        return "referrer"
    return "family"


def message_audience(
    kind: str, referral: Referral, context: Mapping[str, Any] | None, recipients: list[str]
) -> str | None:
    """Whom a message of `kind` is written to: the family ("family"), the person who referred
    it ("referrer"), or the coordination (None)."""
    if kind == "family_acknowledgement":
        return "family"
    if kind == "acknowledgement":
        return sender_audience(referral)
    if kind.startswith(DECISION_PREFIX):
        return (context or {}).get("audience") or recipient_audience(referral, recipients)
    return None


def audience_language(referral: Referral, audience: str | None) -> str:
    """The language `audience` is written to: the family in its `contact_language`, the
    referrer in the language of the page it sent the referral from (`sent_language`), the
    coordination in French. Read when the message is written, so a message queued before the
    languages were recorded is written in French, as it would have been."""
    if audience is None:
        return STAFF_LANGUAGE
    chosen = referral.sent_language if audience == "referrer" else referral.contact_language
    return chosen if chosen in LANGUAGES else STAFF_LANGUAGE


def written_datetime(value: datetime) -> str:
    """A timestamp in Paris time, as the reader of the current language writes it: "12 mars
    2026 à 14:05", "12 March 2026 at 14:05" (a month in words: 03/12 reads as 12 March in
    France and 3 December elsewhere)."""
    local = local_datetime(value)
    day = format_date(local.date(), "d MMMM y", locale=get_locale() or STAFF_LANGUAGE)
    return gettext("%(date)s à %(time)s", date=day, time=local.strftime("%H:%M"))


def children_context(referral: Referral) -> dict[str, Any]:
    """How many children, and their years of birth: all an e-mail may say of them."""
    years = [str(year) for year in birth_years(child.birth_date for child in referral.children)]
    return {"children": len(referral.children), "years": join_words(years, gettext("et"))}


def service_words(code: str | None) -> dict[str, Any]:
    """What a family and a referrer read of a redirection's service: its name and what it
    does in plain words (`service_label`), and, when the territory lists it, where and when
    to reach it (`service`, named as the territory names it, else in those plain words)."""
    label = str(PUBLIC_SERVICES[code]) if code in PUBLIC_SERVICES else None
    service = current_app.extensions["territory"].service(code) if code else None
    if service is not None and not service.name:
        service = replace(service, name=label or code)
    return {"service_label": label, "service": service}


def reason_words(code: str | None) -> str | None:
    """A shared reason, in the plain words a family and a referrer read."""
    return str(PUBLIC_REASONS[code]) if code in PUBLIC_REASONS else None


def outcome_record(outcome: Outcome) -> dict[str, Any]:
    """A decision's public outcome as the JSON `context` of its notice: the status, when, the
    shared reason and the service, as codes. Already filtered by `outcome_of` (a reason the
    coordinator kept is None), so the notice says what was decided when it was queued."""
    return {
        "status": outcome.status.value,
        "at": outcome.at.isoformat(),
        "reason": outcome.reason,
        "service": outcome.service,
    }


def outcome_from_record(record: Mapping[str, Any]) -> Outcome:
    """The Outcome an `outcome_record` stored."""
    return Outcome(
        status=Status(record["status"]),
        at=datetime.fromisoformat(record["at"]),
        reason=record.get("reason"),
        service=record.get("service"),
    )


def child_outcome_record(outcome: ChildOutcome) -> dict[str, Any]:
    """One child's outcome as its notice stores it: the child's number and year of birth,
    never its name; its status, and for a decision its date and the shared codes."""
    return {
        "child": outcome.number,
        "born": outcome.born,
        "status": outcome.status.value,
        "at": outcome.at.isoformat() if outcome.at else None,
        "reason": outcome.reason,
        "service": outcome.service,
    }


def child_outcome_from_record(record: Mapping[str, Any]) -> ChildOutcome:
    """The ChildOutcome a `child_outcome_record` stored."""
    return ChildOutcome(
        number=record.get("child"),
        born=record.get("born"),
        status=Status(record["status"]),
        at=datetime.fromisoformat(record["at"]) if record.get("at") else None,
        reason=record.get("reason"),
        service=record.get("service"),
    )


def decision_context(
    announced: Outcome, children: list[ChildOutcome], audience: str
) -> dict[str, Any]:
    """The `context` of a decision notice: the decision it announces (`outcome`, the same
    for each child the change moved), what it tells of each child (`outcomes`) and whom it is
    written to (`audience`, "referrer" or "family")."""
    return {
        "outcome": outcome_record(announced),
        "outcomes": [child_outcome_record(child) for child in children],
        "audience": audience,
    }


def told_outcomes(context: Mapping[str, Any]) -> list[ChildOutcome]:
    """What a decision notice tells, child by child, whichever shape its context has: a list
    of children's outcomes, or (a notice queued before children were decided one by one) the
    referral's single outcome, told as a whole (a ChildOutcome without a number)."""
    if "outcomes" in context:
        return [child_outcome_from_record(record) for record in context["outcomes"]]
    return [whole(outcome_from_record(context["outcome"]))]


def pupil_words(referral: Referral, number: int | None) -> str | None:
    """What tells a referrer which pupil a child is without naming them: the class and the
    school's name in the territory, "CM1, École des Tilleuls". A school typed by hand is
    left out: free text, it may hold a name ("garde chez Mme X"), and no e-mail carries
    what a person typed."""
    child = referral.child_at(number) if number is not None else None
    if child is None:
        return None
    parts = []
    if child.class_level in CLASS_LEVELS and child.class_level != "other":
        parts.append(str(CLASS_LEVELS[child.class_level]))
    if child.school.casefold() != OTHER_SCHOOL:
        school = current_app.extensions["territory"].school(child.school)
        parts.append(school.name if school else child.school)
    return ", ".join(part for part in parts if part) or None


def child_words(
    outcome: ChildOutcome, twins: frozenset[int], pupil: str | None = None
) -> dict[str, Any]:
    """The words of one child's outcome for a template: who ("Enfant né en 2017", its number
    too when a sibling was born the same year), what is decided ("orienté vers le CLAS"), the
    shared reason and the service's full name; `pupil` adds the class and school a referrer
    reads. Never a name, never the coordinator's comment."""
    year = outcome.born
    if outcome.number in twins:
        who = gettext("Enfant n° %(number)s, né en %(year)s", number=outcome.number, year=year)
        born = gettext("n° %(number)s, né en %(year)s", number=outcome.number, year=year)
    else:
        who = gettext("Enfant né en %(year)s", year=year)
        born = gettext("né en %(year)s", year=year)
    if outcome.status is Status.REDIRECTED and outcome.service in SERVICE_DESTINATIONS:
        label = gettext(
            "orienté vers %(service)s", service=gettext(SERVICE_DESTINATIONS[outcome.service])
        )
    else:
        label = gettext(outcome.label)
    return {
        "outcome": outcome,
        "who": who,
        "born": born,
        "pupil": pupil,
        "label": label,
        "reason_label": reason_words(outcome.reason),
        **service_words(outcome.service),
    }


def children_standing(referral: Referral) -> list[ChildOutcome]:
    """Where each child of `referral` stands now, in order, as the status page tells it."""
    return [
        child_standing(
            child,
            # A change that names no child (older than children decided one by one) was the
            # referral's, so each child's.
            [change for change in referral.history if change.child_id in (None, child.id)],
        )
        for child in referral.children
    ]


def children_words(
    referral: Referral, outcomes: list[ChildOutcome], pupils: bool = False
) -> list[dict[str, Any]]:
    """`child_words` for each child told of, with the class and school when `pupils` (what
    a referrer's notice adds); empty for a notice that told the referral's outcome as a
    whole."""
    if any(outcome.number is None for outcome in outcomes):
        return []
    twins = same_year_numbers(referral.children)
    return [
        child_words(outcome, twins, pupil_words(referral, outcome.number) if pupils else None)
        for outcome in outcomes
    ]


def outcome_context(outcome: Outcome) -> dict[str, Any]:
    """The words of a decision for a template: its public label, the shared reason, the
    service of a redirection. Never the coordinator's comment."""
    return {
        "outcome": outcome,
        "outcome_label": gettext(PUBLIC_LABELS[outcome.status]),
        "reason_label": reason_words(outcome.reason),
        **service_words(outcome.service),
    }


def template_context(
    kind: str,
    referral: Referral,
    context: Mapping[str, Any] | None,
    config: Mapping[str, Any],
    audience: str | None,
) -> tuple[str, dict[str, Any]]:
    """The template, and what it is given, for a message of `kind` about `referral` written
    to `audience` (`message_audience`).

    The one place that decides what each kind of e-mail may show: the referral's reference,
    dates, source, urgency and screening, its children's number and birth years (and for a
    referrer's decision notice, their class and school), a link; never a name, an address or
    the situation.
    """
    language = audience_language(referral, audience)
    values: dict[str, Any] = {"referral": referral, "audience": audience, "language": language}
    if kind == "coordinator_alert":
        # The coordinators' link needs a login: the reference is enough.
        values["link"] = public_url(config, f"/triage/{referral.reference}")
        return "coordinator_alert", values
    if kind in ("acknowledgement", "family_acknowledgement"):
        # Each message gets its own signed status link, made when it is written: the family's
        # opens the page as the family reads it.
        values["link"] = status_link(config, referral, audience, language)
        values["received"] = written_datetime(referral.received_at)
        values.update(children_context(referral))
        return kind, values
    if kind.startswith(DECISION_PREFIX):
        context = context or {}
        outcome = outcome_from_record(context["outcome"])
        if outcome.status.value != kind.removeprefix(DECISION_PREFIX):
            raise ValueError(f"outbox kind {kind} does not match its outcome {outcome.status}")
        values["link"] = status_link(config, referral, audience, language)
        values.update(outcome_context(outcome))
        values["children_told"] = children_words(
            referral, told_outcomes(context), pupils=audience == "referrer"
        )
        # Child by child when the referral names several; a single child's notice reads as
        # it always did, with the child it is about.
        values["several"] = len(referral.children) > 1 and bool(values["children_told"])
        # Each service told of, once, with what the territory says of it: where to go.
        values["services"] = told_services(values.get("service"), values["children_told"])
        return "decision", values
    raise ValueError(f"no template for outbox kind {kind!r}")


def told_services(service: Service | None, children: Iterable[Mapping[str, Any]]) -> list[Service]:
    """The territory's services a decision sends the family to, each once, in the order told:
    the decision's `service`, then each child's (`children_words`). For its notice and for
    the status page."""
    told = [service, *(child["service"] for child in children)]
    services: list[Service] = []
    for service in told:
        if service is not None and service not in services:
            services.append(service)
    return services


def render_subject(template: str, **values: Any) -> str:
    """Render `email/<template>.subject.txt`: its single line, where no personal data can
    slip in."""
    return render_template(f"email/{template}.subject.txt", **values).strip()


def render_template_parts(template: str, **values: Any) -> Rendered:
    """Render `email/<template>.subject.txt`, `.txt` and `.html`."""
    return Rendered(
        subject=render_subject(template, **values),
        text=render_template(f"email/{template}.txt", **values),
        html=render_template(f"email/{template}.html", **values),
    )


def render_message(message: OutboxMessage, config: Mapping[str, Any]) -> Rendered:
    """The e-mail an outbox row stands for: its stored parts if it has them (the digest),
    otherwise written now from its kind, referral and context.

    Raises ReferralGone for a message without a body whose referral is gone.
    """
    if message.body_text is not None:
        return Rendered(message.subject or "", message.body_text, message.body_html)
    return written(message, config, render_template_parts)


def message_subject(message: OutboxMessage, config: Mapping[str, Any]) -> str:
    """The subject alone of the e-mail an outbox row stands for (render_message's, without
    writing its body)."""
    if message.subject is not None:
        return message.subject
    return written(message, config, render_subject)


def written(message: OutboxMessage, config: Mapping[str, Any], render: Callable[..., T]) -> T:
    """`render(template, **values)` for an outbox row written now from its kind, referral
    and context, in its reader's language, whatever the process's own: the worker has no
    request to take a language from. Raises ReferralGone when its referral is gone."""
    if message.referral is None:
        raise ReferralGone("the message's referral was deleted before it was written")
    audience = message_audience(message.kind, message.referral, message.context, message.recipients)
    with force_locale(audience_language(message.referral, audience)):
        template, values = template_context(
            message.kind, message.referral, message.context, config, audience
        )
        return render(template, **values)
