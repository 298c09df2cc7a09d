"""The form layer every blueprint builds on: the base form, text filters and request in `base`,
the fields, validators and choices several forms share in `fields`."""

# Re-exported: blueprints and the application factory import these from `intake.forms`.
from intake.forms.base import (
    BaseForm,
    Request,
    multi_line,
    single_line,
    translations,
    wtforms_catalogue,
)

__all__ = ["BaseForm", "Request", "multi_line", "single_line", "translations", "wtforms_catalogue"]
