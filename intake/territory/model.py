"""The territory as the app uses it: frozen dataclasses, read from its file by `reader`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from intake.territory.addresses import normalise_street

# What the territory file may say: the screening rule, a school's network, a street's side.
RULES = ("qpv_or_priority_school", "qpv_and_priority_school")
PRIORITIES = ("REP", "REP+", "")
SIDES = ("odd", "even")
# The open data a territory is built from (`territory build`): the Base Adresse Nationale, the
# ANCT's QPV contours, the Éducation nationale's school directory.
SOURCE_KINDS = ("ban", "qpv", "schools")
# The services a family may be redirected to: the contract's `service` codes (section 3,
# "Decisions"), as intake.rules.decisions.SERVICES has them. The territory sits below the
# rules and cannot import them; tests/territory keeps the two in step.
SERVICE_CODES = ("clas", "reaap", "pmi", "cmp", "social_service", "mda", "other")


@dataclass(frozen=True)
class Street:
    """A street of a priority neighbourhood, whole or limited to a range of numbers or a side."""

    name: str
    from_: int | None = None
    to: int | None = None
    side: str | None = None
    key: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Every address is compared with this key: compute it once, not per comparison.
        object.__setattr__(self, "key", normalise_street(self.name))

    @property
    def is_limited(self) -> bool:
        """Whether only part of the street's numbers belong to the neighbourhood."""
        return self.from_ is not None or self.to is not None or self.side is not None

    def accepts(self, number: int | None) -> bool | None:
        """Whether a house number lies in this street's part; None if no number on a limited one."""
        if not self.is_limited:
            return True
        if number is None:
            return None
        if self.from_ is not None and number < self.from_:
            return False
        if self.to is not None and number > self.to:
            return False
        if self.side == "odd":
            return number % 2 == 1
        if self.side == "even":
            return number % 2 == 0
        return True


@dataclass(frozen=True)
class Qpv:
    """A priority neighbourhood (quartier prioritaire de la politique de la ville)."""

    code: str
    name: str
    commune: str
    streets: tuple[Street, ...]


@dataclass(frozen=True)
class Commune:
    """A commune of the territory, its postcodes and its INSEE code (what open data use)."""

    name: str
    postcodes: tuple[str, ...]
    insee: str = ""


@dataclass(frozen=True)
class School:
    """A school of the territory, with its priority-education network if any."""

    uai: str
    name: str
    commune: str
    priority: str

    @property
    def is_priority(self) -> bool:
        """Whether the school belongs to a REP or REP+ network."""
        return self.priority in ("REP", "REP+")


# A territory file's own words in another language than French: (language, key, text), from
# a table named by the language inside the text's table (`en = { hours = "…" }`).
Translations = tuple[tuple[str, str, str], ...]


class Said:
    """A table of the territory file whose texts a family reads, in French as written and, for
    any key the file translates, in that language too."""

    translations: Translations

    def said(self, key: str, language: str) -> str:
        """The text `key` in `language` where the file gives it, else as written (French)."""
        for text_language, text_key, text in self.translations:
            if (text_language, text_key) == (language, key):
                return text
        return getattr(self, key)


@dataclass(frozen=True)
class Contact(Said):
    """How families and partners reach the programme."""

    address: str = ""
    phone: str = ""
    email: str = ""
    hours: str = ""
    translations: Translations = ()


@dataclass(frozen=True)
class Service(Said):
    """Where a redirected family goes, as the territory knows it: its `code` is a decision's
    service; whatever else is known (name, address, phone, hours) is told to the family and
    the referrer with the decision."""

    code: str
    name: str = ""
    address: str = ""
    phone: str = ""
    hours: str = ""
    translations: Translations = ()


@dataclass(frozen=True)
class Offer(Said):
    """Something the programme offers, shown on the landing page."""

    title: str
    description: str
    translations: Translations = ()


@dataclass(frozen=True)
class ActionKind:
    """A kind of parcours action the territory offers besides the built-in ones (`code`
    stored, `name` shown)."""

    code: str
    name: str


@dataclass(frozen=True)
class Programme:
    """The programme itself: who runs it, whom it serves and how long data is kept."""

    name: str
    organisation: str
    notify: tuple[str, ...]
    min_age: int
    max_age: int
    rule: str
    retention_months: int = 24
    remind_after_days: int = 7
    # What families and referrers are told to expect: "nous vous contactons sous N jours".
    contact_within_days: int = 15


@dataclass(frozen=True)
class SourceFile:
    """One open-data file the territory was built from, as `territory build` read it."""

    kind: str  # one of SOURCE_KINDS
    name: str  # the file's name ("adresses-62.csv.gz")
    url: str  # where it was downloaded from; "" for a file given on the command line
    date: date  # the file's date (its Last-Modified, else the day it was fetched)
    sha256: str


@dataclass(frozen=True)
class Sources:
    """When the territory's streets and schools were built, and from which files."""

    built_on: date
    files: tuple[SourceFile, ...]


@dataclass(frozen=True)
class Territory:
    """Everything the territory file declares."""

    programme: Programme
    contact: Contact | None
    offers: tuple[Offer, ...]
    communes: tuple[Commune, ...]
    qpvs: tuple[Qpv, ...]
    schools: tuple[School, ...]
    source: str
    # None for a file written by hand (or by the import commands) rather than built.
    sources: Sources | None = None
    # Kinds of parcours action of this territory's own, offered before `other`.
    action_kinds: tuple[ActionKind, ...] = ()
    # The services of the territory a redirection may send a family to, each code once.
    services: tuple[Service, ...] = ()

    def service(self, code: str | None) -> Service | None:
        """The territory's service of this decision code, or None if it lists none."""
        return next((s for s in self.services if s.code == code), None)

    def school(self, uai: str) -> School | None:
        """The school with this UAI code (case-insensitive), or None."""
        wanted = uai.strip().upper()
        return next((s for s in self.schools if s.uai == wanted), None)

    def communes_for_postcode(self, postcode: str) -> tuple[Commune, ...]:
        """Every commune served by this postcode (several communes often share one)."""
        wanted = _clean_postcode(postcode)
        return tuple(c for c in self.communes if wanted in c.postcodes)

    def commune_for_postcode(self, postcode: str) -> Commune | None:
        """The first commune served by this postcode, or None."""
        return next(iter(self.communes_for_postcode(postcode)), None)

    def sole_place(self) -> tuple[str, str] | None:
        """(postcode, commune) when the territory is one commune with one postcode, as most
        programmes are (a town's CCAS): where nearly every family it serves lives. None
        for a territory of several communes or postcodes."""
        if len(self.communes) != 1 or len(self.communes[0].postcodes) != 1:
            return None
        return self.communes[0].postcodes[0], self.communes[0].name


def _clean_postcode(postcode: str) -> str:
    # People type "62 190" as often as "62190".
    return re.sub(r"\s+", "", postcode)
