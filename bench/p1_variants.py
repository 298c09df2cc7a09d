"""The service with its submission cut down: what P1 would be after two possible redesigns.

Not the service, and never deployed: a measuring device for `bench_server.py`. P1's goal
(a complete POST at 0.6× a bare one-row insert) is missed, and the two ways out are product
decisions, not fixes. This serves `wsgi:app` with the submission replaced, so that the
same harness says how far each would go:

- `P1_VARIANT=row`: the form is built and validated as today, and the confirmation is the
  same; but only the referral's row is written, numbered as today. No children, screening,
  history, e-mails or duplicate check: what a submission that leaves them to a worker would
  still cost in the request.
- `P1_VARIANT=noform`: the same single row, without WTForms: the CSRF token is checked,
  the fields are read from the request, nothing is validated. The least that leaving
  WTForms could cost, before writing the validation it does.

Served as `gunicorn p1_variants:app` with this folder first on PYTHONPATH.
"""

from __future__ import annotations

import os

from flask import request
from flask_wtf.csrf import validate_csrf

from intake.extensions import db
from intake.models.rows import insert_rows
from intake.public import operations, views
from intake.rules.search import referral_key

# Both variants take the original view for what they do not replace (GET, the form again).
ORIGINAL_FORM_VIEW = views.referral_form


def referral_row_only(source, data, territory, received_at=None, **_):
    """`create_referral` reduced to the referral's own row: numbered as today, searchable."""
    referral = operations.new_referral(source, data, received_at or operations.utcnow())
    referral.eligibility = "to_check"
    referral.number, referral.reference = operations.next_reference(referral.year)
    referral.search_key = referral_key(referral)
    insert_rows(db.session, [referral])
    return referral


def without_wtforms(form_class, source, template):
    """A valid POST stored as one row with no form library; anything else as today."""
    if request.method != "POST":
        return ORIGINAL_FORM_VIEW(form_class, source, template)
    form = request.form
    validate_csrf(form.get("csrf_token"))
    fields = operations.SHARED_FIELDS + operations.SOURCE_FIELDS[source]
    data = {name: form.get(name, "") for name in fields}
    data.update(domains=form.getlist("domains"), urgent=False, family_informed=True)
    referral = referral_row_only(source, {**data, "children": []}, None)
    reference = referral.reference
    db.session.commit()
    return views.confirm(reference, source)


VARIANT = os.environ.get("P1_VARIANT", "")
if VARIANT not in ("row", "noform"):
    raise RuntimeError(f"P1_VARIANT must be row or noform, not {VARIANT!r}")
views.create_referral = referral_row_only
if VARIANT == "noform":
    views.referral_form = without_wtforms

from wsgi import app  # noqa: E402, F401 - served: the service, its submission replaced
