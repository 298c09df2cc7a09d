"""Write e-mails to the outbox, in the transaction of the change they report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app, render_template
from flask_babel import gettext
from sqlalchemy import select

from ..decisions import REASONS, SERVICES
from ..extensions import db
from ..models import OutboxMessage, Referral, Source, StatusChange, User
from ..progress import Outcome, birth_years, join_words, outcome_of
from ..territory import Territory
from ..tokens import make_token
from ..workflow import PUBLIC_LABELS


def unique_addresses(addresses: list[str]) -> list[str]:
    """Each address once, compared without case, in the order given; blanks dropped."""
    kept: list[str] = []
    for address in addresses:
        address = address.strip()
        if address and address.lower() not in (known.lower() for known in kept):
            kept.append(address)
    return kept


def coordinator_addresses(
    territory: Territory, config: Mapping[str, Any], staff: list[str] | None = None
) -> list[str]:
    """The territory's `notify` addresses, then `INTAKE_NOTIFY`'s, then the staff accounts'
    that asked for every referral (`staff`), each once."""
    extra = config.get("INTAKE_NOTIFY", "").split(",")
    return unique_addresses([*territory.programme.notify, *extra, *(staff or [])])


def staff_wanting_each() -> list[str]:
    """The e-mails of the active staff accounts whose `alerts` is "each"."""
    query = select(User.email).where(User.active.is_(True), User.alerts == "each")
    return list(db.session.scalars(query.order_by(User.id)))


def public_url(config: Mapping[str, Any], path: str) -> str:
    """An absolute link for an e-mail, built on `INTAKE_BASE_URL` rather than the request."""
    return config["INTAKE_BASE_URL"].rstrip("/") + path


def enqueue(
    kind: str, recipients: list[str], template: str, referral: Referral | None, **context: Any
) -> OutboxMessage:
    """Render `email/<template>.{txt,html}` and add the message to the session."""
    context = {"referral": referral, **context}
    message = OutboxMessage(
        kind=kind,
        referral_id=referral.id if referral is not None else None,
        recipients=recipients,
        # The subject is the .subject template's single line: no personal data can slip in.
        subject=render_template(f"email/{template}.subject.txt", **context).strip(),
        body_text=render_template(f"email/{template}.txt", **context),
        body_html=render_template(f"email/{template}.html", **context),
    )
    db.session.add(message)
    return message


def enqueue_referral_emails(
    referral: Referral, territory: Territory, config: Mapping[str, Any]
) -> list[OutboxMessage]:
    """Queue the coordinators' alert and the acknowledgements of a new referral: to whoever
    sent it, and for a professional's referral to the family too when its e-mail is known."""
    messages = []
    coordinators = coordinator_addresses(territory, config, staff_wanting_each())
    if coordinators:
        messages.append(
            enqueue(
                "coordinator_alert",
                coordinators,
                "coordinator_alert",
                referral,
                link=public_url(config, f"/triage/{referral.reference}"),
            )
        )
    else:
        current_app.logger.warning("no coordinator address: set notify or FLASK_INTAKE_NOTIFY")
    sender = (
        referral.referrer_email
        if referral.source == Source.PROFESSIONAL
        else referral.guardian_email
    )
    children = children_context(referral)
    if sender:
        messages.append(
            enqueue(
                "acknowledgement",
                [sender],
                "acknowledgement",
                referral,
                link=status_link(config, referral),
                **children,
            )
        )
    family = referral.guardian_email if referral.source == Source.PROFESSIONAL else None
    if family and family.strip().lower() != (sender or "").strip().lower():
        # The family may not know yet that a professional wrote to the programme: it hears it
        # from us, in plain words, with a status link of its own.
        messages.append(
            enqueue(
                "family_acknowledgement",
                [family],
                "family_acknowledgement",
                referral,
                link=status_link(config, referral),
                **children,
            )
        )
    db.session.flush()
    return messages


def status_link(config: Mapping[str, Any], referral: Referral) -> str:
    """A fresh signed `/suivi/…` link for one recipient."""
    return public_url(config, f"/suivi/{make_token('status', referral.reference)}")


def children_context(referral: Referral) -> dict[str, Any]:
    """How many children, and their years of birth: all an e-mail may say of them."""
    years = birth_years(child.birth_date for child in referral.children)
    return {"children": len(referral.children), "years": join_words([str(y) for y in years])}


def outcome_context(outcome: Outcome) -> dict[str, Any]:
    """The words of a decision for a template: its public label, the shared reason, the
    service of a redirection. Never the coordinator's comment."""
    return {
        "outcome": outcome,
        "outcome_label": gettext(PUBLIC_LABELS[outcome.status]),
        "reason_label": str(REASONS[outcome.reason]) if outcome.reason in REASONS else None,
        "service_label": str(SERVICES[outcome.service]) if outcome.service in SERVICES else None,
    }


def decision_recipients(referral: Referral) -> list[str]:
    """Who hears of a decision: the referrer (a professional's referral), then the family."""
    referrer = referral.referrer_email if referral.source == Source.PROFESSIONAL else None
    return unique_addresses([referrer or "", referral.guardian_email or ""])


def enqueue_decision_emails(
    referral: Referral, change: StatusChange, config: Mapping[str, Any]
) -> list[OutboxMessage]:
    """Queue the short notice of a decision to the referrer and the family, one message each
    so neither reads the other's address. Not a decision (a review step, `closed`): nothing."""
    outcome = outcome_of(change)
    if outcome is None:
        return []
    messages = [
        enqueue(
            f"decision_{outcome.status.value}",
            [address],
            "decision",
            referral,
            link=status_link(config, referral),
            **outcome_context(outcome),
        )
        for address in decision_recipients(referral)
    ]
    db.session.flush()
    return messages


def queue_decision_emails(sender: Any, referral: Referral, change: StatusChange, **_: Any) -> None:
    """`status_changed` receiver: the notices join the transaction of the change itself."""
    messages = enqueue_decision_emails(referral, change, sender.config)
    if messages:
        current_app.logger.info(
            "decision notices queued reference=%s status=%s messages=%d",
            referral.reference,
            change.to_status,
            len(messages),
        )
