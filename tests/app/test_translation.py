"""intake.translation: the templates' and the code's strings are translated as Flask-Babel and
Jinja's newstyle gettext would, with the catalogue found once per page.

French is the source language and no catalogue ships yet, so these tests compile one of
their own (English, a handful of strings) to see that translations are really applied.
"""

from __future__ import annotations

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.support import Translations
from flask import render_template_string
from flask_babel import force_locale, gettext, lazy_gettext
from jinja2 import ChoiceLoader, DictLoader, Environment
from markupsafe import escape
from wtforms.fields import Label

from intake import i18n
from intake.rules.vocabulary import status_label

MESSAGES = {
    "Se connecter": "Sign in",
    "Bonjour %(name)s": "Hello %(name)s",
    "100 %% sûr": "100 %% sure",
    ("%(num)d dossier", "%(num)d dossiers"): ("%(num)d file", "%(num)d files"),
    "Nouvelle": "New",
}
CONTEXT_MESSAGE = ("bouton", "Envoyer", "Send (button)")

# Each is rendered by the app and by a plain Jinja environment with the same catalogue
# installed the newstyle way: the outputs must be the same, character for character.
TEMPLATES = [
    '{{ _("Se connecter") }}',
    '{{ gettext("Se connecter") }}',
    '{{ _("Pas traduit") }}',
    '{{ _("Bonjour %(name)s", name="<b>Léa</b>") }}',
    '{{ _("100 %% sûr") }}',
    '{{ ngettext("%(num)d dossier", "%(num)d dossiers", 1) }}',
    '{{ ngettext("%(num)d dossier", "%(num)d dossiers", 3) }}',
    '{{ pgettext("bouton", "Envoyer") }}',
    '{{ npgettext("bouton", "Envoyer", "Envoyer", 2) }}',
    "{% trans %}Se connecter{% endtrans %}",
    "{% trans name='<i>x</i>' %}Bonjour {{ name }}{% endtrans %}",
    "{% trans num=4 %}{{ num }} dossier{% pluralize %}{{ num }} dossiers{% endtrans %}",
    # Inside a loop with a loop variable, Jinja hands the call a derived context.
    '{% for i in [1, 2] %}{% set n = i * 2 %}{{ ngettext("%(num)d dossier", '
    '"%(num)d dossiers", n) }};{% endfor %}',
    # A macro imported without context has no page catalogue: it finds the request's.
    '{% import "macros.html" as m %}{{ m.sign_in() }}',
]
MACROS = '{% macro sign_in() %}{{ _("Se connecter") }}{% endmacro %}'


@pytest.fixture(scope="module")
def catalogue_dir(tmp_path_factory):
    """translations/en/LC_MESSAGES/messages.mo, compiled from MESSAGES."""
    root = tmp_path_factory.mktemp("translations")
    catalog = Catalog(locale="en")
    for msgid, string in MESSAGES.items():
        catalog.add(msgid, string)
    catalog.add(CONTEXT_MESSAGE[1], CONTEXT_MESSAGE[2], context=CONTEXT_MESSAGE[0])
    folder = root / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with open(folder / "messages.mo", "wb") as mo:
        write_mo(mo, catalog)
    return root


@pytest.fixture
def english_app(make_app, catalogue_dir):
    app = make_app(BABEL_DEFAULT_LOCALE="en", BABEL_TRANSLATION_DIRECTORIES=str(catalogue_dir))
    app.jinja_env.loader = _with_macros(app.jinja_env.loader)
    return app


def _with_macros(loader):
    return ChoiceLoader([loader, DictLoader({"macros.html": MACROS})])


def reference_render(source: str, catalogue_dir) -> str:
    """What Jinja's own newstyle gettext makes of `source` with the same catalogue."""
    env = Environment(
        extensions=["jinja2.ext.i18n"],
        autoescape=True,
        loader=DictLoader({"macros.html": MACROS}),
    )
    translations = Translations.load(str(catalogue_dir), ["en"])
    env.install_gettext_translations(translations, newstyle=True)
    return env.from_string(source).render()


@pytest.mark.parametrize("source", TEMPLATES)
def test_templates_translate_as_jinja_newstyle_does(english_app, catalogue_dir, source):
    with english_app.test_request_context("/"):
        ours = render_template_string(source)
    assert ours == reference_render(source, catalogue_dir)


def test_the_reference_renderer_does_translate(catalogue_dir):
    # Otherwise the comparison above would hold between two untranslated outputs.
    assert reference_render(TEMPLATES[0], catalogue_dir) == "Sign in"
    assert reference_render(TEMPLATES[3], catalogue_dir) == "Hello &lt;b&gt;Léa&lt;/b&gt;"
    assert reference_render(TEMPLATES[4], catalogue_dir) == "100 % sure"
    assert reference_render(TEMPLATES[6], catalogue_dir) == "3 files"
    assert reference_render(TEMPLATES[-1], catalogue_dir) == "Sign in"


def test_a_page_is_rendered_in_the_configured_language(english_app):
    page = english_app.test_client().get("/connexion").get_data(as_text=True)
    assert "Sign in" in page
    assert "Se connecter" not in page


def test_french_pages_are_unchanged(app):
    page = app.test_client().get("/connexion").get_data(as_text=True)
    assert "Se connecter" in page


def test_code_and_lazy_strings_translate_too(english_app):
    lazy = lazy_gettext("Se connecter")
    with english_app.test_request_context("/"):
        assert gettext("Se connecter") == "Sign in"
        assert gettext("Bonjour %(name)s", name="Léa") == "Hello Léa"
        assert str(lazy) == "Sign in"
        assert status_label("new") == "New"


# What the code and the templates do with a lazy label.
LAZY_USES = [
    str,
    repr,
    len,
    hash,
    list,
    escape,
    lambda text: text + "!",
    lambda text: "« " + text,
    lambda text: text * 2,
    lambda text: text[0],
    lambda text: text == "Sign in",
    lambda text: text != "Sign in",
    lambda text: text < "Sign up",
    lambda text: "Sign" in text,
    lambda text: text.upper(),
    lambda text: f"{text}",
    lambda text: Label("field", text)(),
]


@pytest.mark.parametrize("use", LAZY_USES)
def test_the_rules_lazy_text_is_used_as_flask_babels(english_app, use):
    """`intake.i18n._l`, which the pure rules write their labels with, translates and
    behaves as Flask-Babel's lazy strings do."""
    ours, theirs = i18n._l("Se connecter"), lazy_gettext("Se connecter")
    with english_app.test_request_context("/"):
        assert use(ours) == use(theirs)
    assert use(ours) == use(theirs)  # outside a request, untranslated


def test_the_rules_lazy_text_formats_after_translating(english_app):
    with english_app.test_request_context("/"):
        assert i18n._l("Bonjour %(name)s") % {"name": "Léa"} == "Hello Léa"
        assert i18n.gettext("Se connecter") == "Sign in"
        with force_locale("fr"):
            assert str(i18n._l("Se connecter")) == "Se connecter"


def test_force_locale_still_switches_code_and_templates(english_app):
    with english_app.test_request_context("/"):
        assert gettext("Se connecter") == "Sign in"
        with force_locale("fr"):
            assert gettext("Se connecter") == "Se connecter"
            assert render_template_string('{{ _("Se connecter") }}') == "Se connecter"
        # And back, the catalogue kept for English is used again.
        assert gettext("Se connecter") == "Sign in"
        assert render_template_string('{{ _("Se connecter") }}') == "Sign in"


def test_outside_a_request_strings_come_back_untranslated(english_app):
    # The e-mail worker renders in an app context; outside any, there is no locale at all.
    assert gettext("Se connecter") == "Se connecter"
