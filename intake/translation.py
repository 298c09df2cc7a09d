"""Flask-Babel, with the catalogue found once per page instead of once per string.

Flask-Babel looks the request's locale and catalogue up again for every string it translates:
four lookups through Flask's context-local proxies and the locale written out as text, about
20 µs a string here, 40 µs from a template. A queue page of 25 rows asks for over 300 strings
(each cell repeats its column's name for narrow screens), which was a third of its time and the
main part of what a page's rows cost. Translations stay Flask-Babel's own: same catalogues, same
locale selector, and `force_locale()` and `refresh()` still take effect.
"""

from __future__ import annotations

from contextlib import suppress
from functools import cached_property
from urllib.parse import quote, urlencode

import flask_babel
from babel import support
from flask import Flask, current_app, g, has_request_context, request
from flask.wrappers import Response
from flask_babel import get_locale, get_translations
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from intake import i18n
from intake.rules.reach import DEFAULT_LANGUAGE, LANGUAGE_NAMES, LANGUAGES

# The template context's name for the catalogue of the page being rendered.
CATALOGUE = "_babel_catalogue"


class Domain(flask_babel.Domain):
    """The app's message domain, finding the catalogue once per request (or `force_locale`
    block) rather than once per string: a string then costs one lookup of Flask-Babel's
    context, not four lookups and a text key.

    The catalogue is kept where Flask-Babel keeps it for the context (`babel_translations`,
    which `force_locale()` and `refresh()` reset), and loaded once per app and locale. Per
    app, not per locale alone: the extension, so this domain, is one object for the process,
    and two apps may read different catalogues (the tests build several)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._by_app: dict[Flask, dict] = {}

    def get_translations_cache(self, ctx) -> dict:
        return self._by_app.setdefault(current_app._get_current_object(), {})

    def get_translations(self) -> support.NullTranslations:
        # Flask-Babel's own per-context namespace (private, pinned by requirements.lock).
        ctx = flask_babel._get_current_context()
        if ctx is None:
            return support.NullTranslations()
        translations = getattr(ctx, "babel_translations", None)
        if translations is None:
            locale = get_locale()
            by_app = self.get_translations_cache(ctx)
            translations = by_app.get(locale)
            if translations is None:
                translations = by_app[locale] = with_singulars(super().get_translations())
            ctx.babel_translations = translations
        return translations


def with_singulars(translations: support.NullTranslations) -> support.NullTranslations:
    """`translations`, where `gettext(m)` also finds a message `m` that the catalogue holds
    with a plural: "Commune" is a form's label and, with "Communes", a staff page's heading;
    pybabel keeps one entry for both. GNU gettext finds it; Python's gettext looks up only
    the pair, and would leave the label in French."""
    catalogue = getattr(translations, "_catalog", None)
    if catalogue:
        for key, text in list(catalogue.items()):
            if isinstance(key, tuple) and key[1] == 0 and text:
                catalogue.setdefault(key[0], text)
    return translations


class Babel(flask_babel.Babel):
    """Flask-Babel's extension, translating through `Domain`."""

    @cached_property
    def domain_instance(self) -> Domain:
        return Domain(domain=self.domain)


# The public pages' languages are the service's (intake.rules.reach: LANGUAGES, French first,
# the source language and DEFAULT_LANGUAGE).
# The cookie keeping a visitor's choice: a language code, nothing else.
LANGUAGE_COOKIE = "lang"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
# The staff side is French whatever the visitor's browser says: its words are the
# programme's own, and the coordination works in French.
STAFF_BLUEPRINTS = frozenset({"triage", "meetings", "fiches", "auth", "account"})
# Unknown addresses under these (a 404 has no blueprint) are the staff side's too.
STAFF_PATHS = ("/triage", "/connexion", "/deconnexion")


def is_staff_page() -> bool:
    """Whether the request is for a staff page (always French), not a public one."""
    if request.blueprint in STAFF_BLUEPRINTS:
        return True
    path = request.path
    return any(path == prefix or path.startswith(prefix + "/") for prefix in STAFF_PATHS)


def asked_language() -> str | None:
    """The language the visitor chose on this request: the switch button of a form
    (`lang` in its body), else `?lang=`; None when neither names a language of the site."""
    chosen = request.args.get("lang")
    if request.method == "POST":
        # A body too large or unreadable has no switch in it: its error page follows the rest.
        with suppress(HTTPException):
            chosen = request.form.get("lang") or chosen
    return chosen if chosen in LANGUAGES else None


def select_locale() -> str:
    """The page's language: staff pages the app's (BABEL_DEFAULT_LOCALE: French); public
    ones (and the error pages reached from them) the visitor's choice on this request, then
    the one kept in the cookie, then the browser's best match among the site's languages,
    else the app's."""
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context() or is_staff_page():
        return default
    asked = asked_language()
    if asked:
        g.asked_language = asked
        return asked
    kept = request.cookies.get(LANGUAGE_COOKIE)
    if kept in LANGUAGES:
        return kept
    return request.accept_languages.best_match(LANGUAGES) or default


def keep_language(response: Response) -> Response:
    """Keep the language chosen on this request (`?lang=`, the switch) in the `lang` cookie,
    and tell caches that a public page's language follows the cookie and the browser's."""
    if not has_request_context() or request.endpoint == "static" or is_staff_page():
        return response
    # The locale is chosen once a page translates something: a page that did not (a
    # redirect) still keeps the choice, so the locale is asked for here.
    get_locale()
    asked = g.get("asked_language")
    if asked and request.cookies.get(LANGUAGE_COOKIE) != asked:
        response.set_cookie(
            LANGUAGE_COOKIE,
            asked,
            max_age=LANGUAGE_COOKIE_AGE,
            secure=bool(current_app.config.get("INTAKE_PRODUCTION")),
            httponly=True,
            samesite="Lax",
        )
    response.vary.update(("Accept-Language", "Cookie"))
    return response


def switch_url(language: str) -> str:
    """This page's address in `language`: the same path (a status link's token kept) and
    query, its `lang` replaced."""
    query = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    # Quoted, and with one leading slash: a 404's path may be "//elsewhere.example" or hold
    # a backslash, which a browser would follow to another site.
    path = "/" + quote(request.path.lstrip("/"))
    return f"{path}?{urlencode([*query, ('lang', language)])}"


def init_locale(app: Flask, babel: flask_babel.Babel) -> None:
    """Choose each page's language (`select_locale`) and keep the visitor's choice."""
    babel.init_app(app, locale_selector=select_locale)
    app.after_request(keep_language)


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
        locale = get_locale()
        language = locale.language if locale else DEFAULT_LANGUAGE
        other = next(code for code in LANGUAGES if code != language)
        return {
            CATALOGUE: get_translations(),
            # `<html lang>`, and the language switch of the public pages (staff ones have none).
            "page_language": language,
            # The switch offers the other of the service's two languages, named in itself.
            "other_language": other,
            "other_language_name": LANGUAGE_NAMES[other],
            "public_page": has_request_context() and not is_staff_page(),
            "switch_url": switch_url,
        }

    app.jinja_env.newstyle_gettext = True
    app.jinja_env.globals.update(
        _=_gettext,
        gettext=_gettext,
        ngettext=_ngettext,
        pgettext=_pgettext,
        npgettext=_npgettext,
    )
