"""The languages a family says it speaks at home, read as codes.

The forms ask them in words (`home_languages`, free text as the contract fixes it: a family
writes "arabe et un peu de français", "Tamil", "kabyle"), and the staff pages show what was
typed. The exports hold codes, never free text: each language recognised becomes its ISO 639
code (639-1 where there is one, 639-3 otherwise), anything else `other`, so a coordinator can
count the families who speak Tamil without reading anyone's words.
"""

from __future__ import annotations

import re

from intake.i18n import _l
from intake.rules.text import unaccented

OTHER = "other"

# Each code, the French word the staff pages and the spreadsheet use, and the names a family
# may write it under (French and English, without accents: the text is read unaccented and
# in lower case). The languages most spoken in France's priority neighbourhoods first; a name
# of several words is matched before any of its words ("créole haïtien" before "créole").
SPOKEN: dict[str, tuple[str, tuple[str, ...]]] = {
    "fr": (_l("français"), ("francais", "french")),
    "ar": (
        _l("arabe"),
        ("arabe", "arabic", "darija", "derja", "maghrebin", "arab", "arabes"),
    ),
    "ber": (
        _l("berbère"),
        (
            "berbere",
            "berber",
            "kabyle",
            "kabyl",
            "tamazight",
            "amazigh",
            "chleuh",
            "tachelhit",
            "chelha",
            "rifain",
            "tarifit",
            "chaoui",
        ),
    ),
    "tr": (_l("turc"), ("turc", "turque", "turkish")),
    "en": (_l("anglais"), ("anglais", "english")),
    "es": (_l("espagnol"), ("espagnol", "spanish", "castillan")),
    "pt": (_l("portugais"), ("portugais", "portuguese", "bresilien", "capverdien")),
    "it": (_l("italien"), ("italien", "italian")),
    "de": (_l("allemand"), ("allemand", "german", "deutsch")),
    "nl": (_l("néerlandais"), ("neerlandais", "flamand", "dutch", "flemish")),
    "pl": (_l("polonais"), ("polonais", "polish")),
    "ro": (_l("roumain"), ("roumain", "romanian", "moldave")),
    "rom": (_l("romani"), ("romani", "romanes", "tsigane", "manouche")),
    "bg": (_l("bulgare"), ("bulgare", "bulgarian")),
    "ru": (_l("russe"), ("russe", "russian")),
    "uk": (_l("ukrainien"), ("ukrainien", "ukrainian")),
    "sq": (_l("albanais"), ("albanais", "albanian", "kosovar")),
    "sr": (_l("serbe"), ("serbe", "serbian")),
    "hr": (_l("croate"), ("croate", "croatian")),
    "bs": (_l("bosnien"), ("bosnien", "bosniaque", "bosnian")),
    "hy": (_l("arménien"), ("armenien", "armenian")),
    "ka": (_l("géorgien"), ("georgien", "georgian")),
    "ce": (_l("tchétchène"), ("tchetchene", "chechen")),
    "ku": (_l("kurde"), ("kurde", "kurdish", "kurmandji", "kurmanji", "sorani")),
    "fa": (_l("persan"), ("persan", "farsi", "perse", "persian", "dari")),
    "ps": (_l("pachto"), ("pachto", "pashto", "pachtou", "pashtu")),
    "ur": (_l("ourdou"), ("ourdou", "urdu")),
    "hi": (_l("hindi"), ("hindi",)),
    "bn": (_l("bengali"), ("bengali", "bangla")),
    "ta": (_l("tamoul"), ("tamoul", "tamil")),
    "zh": (_l("chinois"), ("chinois", "chinese", "mandarin", "cantonais", "cantonese")),
    "vi": (_l("vietnamien"), ("vietnamien", "vietnamese")),
    "km": (_l("khmer"), ("khmer", "cambodgien")),
    "wo": (_l("wolof"), ("wolof",)),
    "bm": (_l("bambara"), ("bambara",)),
    "snk": (_l("soninké"), ("soninke",)),
    "ff": (_l("peul"), ("peul", "pulaar", "poular", "fula", "fulani")),
    "ln": (_l("lingala"), ("lingala",)),
    "sw": (_l("swahili"), ("swahili",)),
    "so": (_l("somali"), ("somali",)),
    "ti": (_l("tigrigna"), ("tigrigna", "tigrinya")),
    "am": (_l("amharique"), ("amharique", "amharic")),
    "ht": (_l("créole haïtien"), ("creole haitien", "haitian creole", "kreyol")),
    "cpf": (_l("créole"), ("creole",)),
    "mg": (_l("malgache"), ("malgache", "malagasy")),
    "fsl": (
        _l("langue des signes française"),
        ("langue des signes", "lsf", "sign language"),
    ),
}

LABELS: dict[str, str] = {code: label for code, (label, _) in SPOKEN.items()} | {OTHER: _l("autre")}

# Where one language ends and the next begins: punctuation, or a word that joins them.
SEPARATORS = re.compile(r"[,;/+&\n()]|\b(?:et|and|ou|or|puis)\b")

# Words that name no language and say nothing against one: "un peu", "à la maison", "mostly".
# A part made only of them is not an unknown language ("français (un peu)").
# fmt: off
FILLERS = frozenset((
    "un", "une", "peu", "de", "d", "du", "l", "la", "le", "les", "a", "au", "aux", "en", "langue",
    "langues", "maison", "parle", "parlent", "parlee", "parles", "surtout", "aussi", "mais",
    "seulement", "uniquement", "principalement", "couramment", "bien", "mal", "maternelle", "mere",
    "pere", "avec", "dialecte", "dialectal", "dialectale", "litteraire", "the", "little", "bit",
    "some", "mostly", "also", "only", "at", "home", "spoken", "speak", "speaks", "language",
    "languages", "dialect", "mother", "tongue",
))
# fmt: on

NAMES = {name: code for code, (_, names) in SPOKEN.items() for name in names}
# The longest name first, so that "creole haitien" wins over "creole".
NAME = re.compile(
    r"\b(?:" + "|".join(re.escape(name) for name in sorted(NAMES, key=len, reverse=True)) + r")\b"
)


def home_language_codes(text: str | None) -> tuple[str, ...]:
    """The codes of the languages `text` names, in the order written, each once; `other`
    (once, last) when a part names none that is known. () for nothing written."""
    codes: list[str] = []
    unknown = False
    for part in SEPARATORS.split(unaccented(text or "")):
        if not re.search(r"\w", part):
            continue
        found = [NAMES[match] for match in NAME.findall(part)]
        if not found and set(re.findall(r"\w+", part)) - FILLERS:
            unknown = True
        codes.extend(code for code in found if code not in codes)
    if unknown:
        codes.append(OTHER)
    return tuple(codes)
