"""Write an outbox message's e-mail when the worker sends it, from what its row records.

A submission or a decision only stores the message's kind, recipients, referral and a small
`context`; the templates run here, in the worker, outside any request. The digest is the
exception: it is rendered when queued (from cron) and its stored subject and bodies are sent
as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import render_template
from flask_babel import gettext

from intake.models import OutboxMessage, Referral
from intake.notifications.failures import ReferralGone
from intake.rules.decisions import REASONS, SERVICES
from intake.rules.progress import Outcome, birth_years, join_words
from intake.rules.workflow import PUBLIC_LABELS, Status
from intake.tokens import make_token

DECISION_PREFIX = "decision_"


@dataclass(frozen=True)
class Rendered:
    """The three parts of an e-mail."""

    subject: str
    text: str
    html: str | None


def public_url(config: Mapping[str, Any], path: str) -> str:
    """An absolute link for an e-mail, built on `INTAKE_BASE_URL` rather than the request."""
    return config["INTAKE_BASE_URL"].rstrip("/") + path


def status_link(config: Mapping[str, Any], referral: Referral) -> str:
    """A fresh signed `/suivi/…` link for one recipient."""
    return public_url(config, f"/suivi/{make_token('status', referral.reference)}")


def children_context(referral: Referral) -> dict[str, Any]:
    """How many children, and their years of birth: all an e-mail may say of them."""
    years = birth_years(child.birth_date for child in referral.children)
    return {"children": len(referral.children), "years": join_words([str(y) for y in years])}


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


def outcome_context(outcome: Outcome) -> dict[str, Any]:
    """The words of a decision for a template: its public label, the shared reason, the
    service of a redirection. Never the coordinator's comment."""
    return {
        "outcome": outcome,
        "outcome_label": gettext(PUBLIC_LABELS[outcome.status]),
        "reason_label": str(REASONS[outcome.reason]) if outcome.reason in REASONS else None,
        "service_label": str(SERVICES[outcome.service]) if outcome.service in SERVICES else None,
    }


def template_context(
    kind: str,
    referral: Referral,
    context: Mapping[str, Any] | None,
    config: Mapping[str, Any],
) -> tuple[str, dict[str, Any]]:
    """The template, and what it is given, for a message of `kind` about `referral`.

    The one place that decides what each kind of e-mail may show: the referral's reference,
    dates, source, urgency and screening, its children's number and birth years, a link;
    never a name, an address or the situation.
    """
    values: dict[str, Any] = {"referral": referral}
    if kind == "coordinator_alert":
        # The coordinators' link needs a login: the reference is enough.
        values["link"] = public_url(config, f"/triage/{referral.reference}")
        return "coordinator_alert", values
    if kind in ("acknowledgement", "family_acknowledgement"):
        # Each message gets its own signed status link, made when it is written.
        values["link"] = status_link(config, referral)
        values.update(children_context(referral))
        return kind, values
    if kind.startswith(DECISION_PREFIX):
        outcome = outcome_from_record((context or {})["outcome"])
        if outcome.status.value != kind.removeprefix(DECISION_PREFIX):
            raise ValueError(f"outbox kind {kind} does not match its outcome {outcome.status}")
        values["link"] = status_link(config, referral)
        values.update(outcome_context(outcome))
        return "decision", values
    raise ValueError(f"no template for outbox kind {kind!r}")


def render_template_parts(template: str, **values: Any) -> Rendered:
    """Render `email/<template>.subject.txt`, `.txt` and `.html`."""
    return Rendered(
        # The subject is the .subject template's single line: no personal data can slip in.
        subject=render_template(f"email/{template}.subject.txt", **values).strip(),
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
    if message.referral is None:
        raise ReferralGone("the message's referral was deleted before it was written")
    template, values = template_context(message.kind, message.referral, message.context, config)
    return render_template_parts(template, **values)
