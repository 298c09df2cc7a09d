"""The application's signals: one feature tells the others what happened without importing them.

Each signal says who sends it and what with. A receiver takes the sender (the Flask app)
first, then the keyword arguments, and a `**kwargs` for those a later version may add.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

status_changed = _signals.signal(
    "status-changed",
    doc="""Sent by `intake.triage.operations.change_status` once a move of some of a
    referral's children to another status is recorded, in the same transaction, not
    committed yet: the sender is the app, `referral` the Referral, `changes` the StatusChange
    of each child moved (one action: one signal), `change` the first of them, and `previous`
    the referral's status before. The notifications queue the decision notices from it
    (`queue_decision_emails`).
    """,
)
