"""E-mail: the outbox, its renderers and the delivery worker."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Queue the decision notices whenever a status change is recorded.

    Blinker keeps receivers per signal, not per app, and connecting the same function twice
    is a no-op: every app built in this process shares the one receiver, which reads the
    app it is sent by.
    """
    from intake.notifications.outbox import queue_decision_emails
    from intake.signals import status_changed

    status_changed.connect(queue_decision_emails)
