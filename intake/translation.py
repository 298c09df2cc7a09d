"""Flask-Babel, with the catalogue found once per page instead of once per string.

Flask-Babel looks the request's locale and catalogue up again for every string it translates:
four lookups through Flask's context-local proxies and the locale written out as text, about
20 µs a string here, 40 µs from a template. A queue page of 25 rows asks for over 300 strings
(each cell repeats its column's name for narrow screens), which was a third of its time and the
main part of what a page's rows cost. Translations stay Flask-Babel's own: same catalogues, same
locale selector, and `force_locale()` and `refresh()` still take effect.
"""

from __future__ import annotations

from functools import cached_property

import flask_babel
from babel import Locale, support
from flask import Flask
from flask_babel import get_locale, get_translations
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from intake import i18n

# The template context's name for the catalogue of the page being rendered.
CATALOGUE = "_babel_catalogue"


class Domain(flask_babel.Domain):
    """The app's message domain, keeping each locale's catalogue under the `Locale` itself:
    a string costs one lookup of the current locale, not four and a text key."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._by_locale: dict[Locale, support.NullTranslations] = {}

    def get_translations(self) -> support.NullTranslations:
        locale = get_locale()
        if locale is None:
            return support.NullTranslations()
        try:
            return self._by_locale[locale]
        except KeyError:
            translations = self._by_locale[locale] = super().get_translations()
            return translations


class Babel(flask_babel.Babel):
    """Flask-Babel's extension, translating through `Domain`."""

    @cached_property
    def domain_instance(self) -> Domain:
        return Domain(domain=self.domain)


def _catalogue(context: Context) -> support.NullTranslations:
    # Macros imported without context have no page catalogue: they look it up each time.
    return context.get(CATALOGUE) or get_translations()


def _formatted(context: Context, text: str, variables: dict) -> str:
    """What Jinja's newstyle gettext makes of a translated string: markup-safe under
    autoescaping, then always a format string (so that "%%" is a "%"). A string without "%"
    is its own result, and skips Markup's formatting, the dearest part of a call."""
    if context.eval_ctx.autoescape:
        # Jinja's own: msgids are the templates' text; the variables are escaped by `%`.
        text = Markup(text)  # noqa: S704
    return text % variables if "%" in text else text


@pass_context
def _gettext(context: Context, string: str, **variables) -> str:
    return _formatted(context, _catalogue(context).ugettext(string), variables)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    return _formatted(context, _catalogue(context).ungettext(singular, plural, num), variables)


@pass_context
def _pgettext(context: Context, string_ctx: str, string: str, **variables) -> str:
    variables.setdefault("context", string_ctx)
    return _formatted(context, _catalogue(context).upgettext(string_ctx, string), variables)


@pass_context
def _npgettext(
    context: Context, string_ctx: str, singular: str, plural: str, num: int, **variables
) -> str:
    variables.setdefault("context", string_ctx)
    variables.setdefault("num", num)
    translated = _catalogue(context).unpgettext(string_ctx, singular, plural, num)
    return _formatted(context, translated, variables)


def init_code() -> None:
    """Make the pure modules' strings (`intake.i18n`: `gettext`, `_l`) translate as the rest
    of the code's do, through Flask-Babel: the request's locale, the message catalogue."""
    i18n.use_translator(flask_babel.gettext)


def init_templates(app: Flask) -> None:
    """Make the templates' `_()`, `ngettext()`, `{% trans %}`… translate with the catalogue
    the page is rendered with, as Jinja's newstyle gettext does.

    A context processor finds the catalogue once per `render_template`, inside whatever locale
    is in force then. `_` is the translating function itself rather than Jinja's alias that
    looks `gettext` up again on each call. To be called after `babel.init_app`, whose
    callables these replace.
    """

    @app.context_processor
    def page_catalogue() -> dict:
        return {CATALOGUE: get_translations()}

    app.jinja_env.newstyle_gettext = True
    app.jinja_env.globals.update(
        _=_gettext,
        gettext=_gettext,
        ngettext=_ngettext,
        pgettext=_pgettext,
        npgettext=_npgettext,
    )
