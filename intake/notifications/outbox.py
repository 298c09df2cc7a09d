"""Write e-mails to the outbox, in the transaction of the change they report.

Only rows are written here: who gets which kind of message about which referral. The worker
writes each e-mail when it sends it (`render.render_message`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app
from sqlalchemy import select

from intake.extensions import db
from intake.models import OutboxMessage, Referral, Source, StatusChange, User
from intake.notifications.render import decision_context, render_template_parts
from intake.rules.progress import notice_outcomes, outcome_of, whole
from intake.territory.model import Territory


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


_user = User.__table__
# Core, on the table: a submission asks it every time, without the ORM's machinery around it.
STAFF_WANTING_EACH = (
    select(_user.c.email)
    .where(_user.c.active.is_(True), _user.c.alerts == "each")
    .order_by(_user.c.id)
)


def staff_wanting_each() -> list[str]:
    """The e-mails of the active staff accounts whose `alerts` is "each"."""
    return list(db.session.connection().execute(STAFF_WANTING_EACH).scalars())


def enqueue(
    kind: str,
    recipients: list[str],
    referral: Referral | None,
    context: dict[str, Any] | None = None,
) -> OutboxMessage:
    """Add a message to the session, to be written by the worker when it sends it.

    Nothing is rendered and nothing is flushed here: the request only writes rows, in the
    transaction (and the single flush) of the change they report. The referral is attached
    through the relationship, so it may not have an id yet.
    """
    message = OutboxMessage(kind=kind, recipients=recipients, referral=referral, context=context)
    db.session.add(message)
    return message


def enqueue_rendered(
    kind: str, recipients: list[str], template: str, referral: Referral | None, **values: Any
) -> OutboxMessage:
    """Render `email/<template>.*` now and add the message with its subject and bodies.

    For messages written outside a request (the digest, from cron), whose content is a
    snapshot of the moment: the worker sends the stored parts as they are.
    """
    rendered = render_template_parts(template, referral=referral, **values)
    message = enqueue(kind, recipients, referral)
    message.subject = rendered.subject
    message.body_text = rendered.text
    message.body_html = rendered.html
    return message


def referral_emails(
    referral: Referral, territory: Territory, config: Mapping[str, Any]
) -> list[OutboxMessage]:
    """The coordinators' alert and the acknowledgements of a new referral: to whoever sent
    it, and for a professional's referral to the family too when its e-mail is known.

    Built, not added to the session: the submission writes them with its other new rows
    (`intake.models.rows`). The worker writes each e-mail from the referral itself (reference,
    children, screening) when it sends it.
    """
    messages = []
    coordinators = coordinator_addresses(territory, config, staff_wanting_each())
    if coordinators:
        messages.append(OutboxMessage(kind="coordinator_alert", recipients=coordinators))
    else:
        current_app.logger.warning("no coordinator address: set notify or FLASK_INTAKE_NOTIFY")
    sender = (
        referral.referrer_email
        if referral.source == Source.PROFESSIONAL
        else referral.guardian_email
    )
    if sender:
        messages.append(OutboxMessage(kind="acknowledgement", recipients=[sender]))
    family = referral.guardian_email if referral.source == Source.PROFESSIONAL else None
    if family and family.strip().lower() != (sender or "").strip().lower():
        # The family may not know yet that a professional wrote to the programme: it hears it
        # from us, in plain words, with a status link of its own.
        messages.append(OutboxMessage(kind="family_acknowledgement", recipients=[family]))
    return messages


def decision_recipients(referral: Referral) -> list[tuple[str, str]]:
    """Who hears of a decision, and as whom: the referrer (a professional's referral), then
    the family; an address given for both is written to once, as the referrer."""
    referrer = referral.referrer_email if referral.source == Source.PROFESSIONAL else None
    recipients = []
    for address in unique_addresses([referrer or "", referral.guardian_email or ""]):
        is_referrer = referrer is not None and address.lower() == referrer.strip().lower()
        recipients.append((address, "referrer" if is_referrer else "family"))
    return recipients


def enqueue_decision_emails(
    referral: Referral, changes: list[StatusChange], config: Mapping[str, Any]
) -> list[OutboxMessage]:
    """Queue the short notice of a decision to the referrer and the family, one message each
    so neither reads the other's address. A change made for several children at once is one
    decision: one message per recipient, telling each child's outcome. Not a decision (a
    review step, `closed`): nothing.

    The notice's context is the public outcome itself, child by child (year of birth, status,
    date, shared reason, service), not the changes' ids: it holds what the family may read,
    fixed when the decision is made. What tells the referrer which pupil is which (class,
    school) is read from the referral when the message is written.
    """
    announced = outcome_of(changes[0]) if changes else None
    if announced is None:
        return []
    moved = [(change.child, change) for change in changes if change.child is not None]
    # A change that names no child (made outside change_status) is told of the referral as
    # a whole, as every notice was before children were decided one by one.
    told = notice_outcomes(referral.children, moved) if moved else [whole(announced)]
    return [
        enqueue(
            f"decision_{announced.status.value}",
            [address],
            referral,
            decision_context(announced, told, audience),
        )
        for address, audience in decision_recipients(referral)
    ]


def queue_decision_emails(
    sender: Any,
    referral: Referral,
    change: StatusChange,
    changes: list[StatusChange] | None = None,
    **_: Any,
) -> None:
    """`intake.signals.status_changed` receiver: the notices join the transaction of the change."""
    messages = enqueue_decision_emails(referral, changes or [change], sender.config)
    if messages:
        current_app.logger.info(
            "decision notices queued reference=%s status=%s children=%s messages=%d",
            referral.reference,
            change.to_status,
            ",".join(str(c.child.number) for c in changes or [change] if c.child is not None),
            len(messages),
        )
