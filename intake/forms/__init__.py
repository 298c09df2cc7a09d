"""The form layer every blueprint builds on: the base form, text filters and request in `base`,
ids in ASCII digits and the URL map that reads them so in `numbers`, the fields, validators
and choices several forms share in `fields`, and the referral's fields
(`children`, `referral`, with their reading help `dates` and `typos`) that the public forms and
the staff's correction form both build on."""

# Re-exported: blueprints and the application factory import these from `intake.forms`.
from intake.forms.base import (
    BaseForm,
    Request,
    multi_line,
    single_line,
    translations,
    wtforms_catalogue,
)
from intake.forms.numbers import AsciiMap

__all__ = [
    "AsciiMap",
    "BaseForm",
    "Request",
    "multi_line",
    "single_line",
    "translations",
    "wtforms_catalogue",
]
