"""Write e-mails to the outbox, in the transaction of the change they report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app, render_template

from ..extensions import db
from ..models import OutboxMessage, Referral, Source
from ..territory import Territory
from ..tokens import make_token


def coordinator_addresses(territory: Territory, config: Mapping[str, Any]) -> list[str]:
    """The territory's `notify` addresses, then `INTAKE_NOTIFY`'s, each once."""
    extra = [address.strip() for address in config.get("INTAKE_NOTIFY", "").split(",")]
    addresses: list[str] = []
    for address in [*territory.programme.notify, *extra]:
        if address and address.lower() not in (known.lower() for known in addresses):
            addresses.append(address)
    return addresses


def public_url(config: Mapping[str, Any], path: str) -> str:
    """An absolute link for an e-mail, built on `INTAKE_BASE_URL` rather than the request."""
    return config["INTAKE_BASE_URL"].rstrip("/") + path


def enqueue(
    kind: str, recipients: list[str], template: str, referral: Referral, **context: Any
) -> OutboxMessage:
    """Render `email/<template>.{txt,html}` and add the message to the session."""
    context = {"referral": referral, **context}
    message = OutboxMessage(
        kind=kind,
        referral_id=referral.id,
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
    """Queue the coordinator's alert and the sender's acknowledgement of a new referral."""
    messages = []
    coordinators = coordinator_addresses(territory, config)
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
    if sender:
        token = make_token("status", referral.reference)
        messages.append(
            enqueue(
                "acknowledgement",
                [sender],
                "acknowledgement",
                referral,
                link=public_url(config, f"/suivi/{token}"),
            )
        )
    db.session.flush()
    return messages
