"""Read the territory file (TOML) and validate it into the model's frozen dataclasses."""

from __future__ import annotations

import os
import re
import tomllib
from datetime import date, datetime
from pathlib import Path
from typing import Any

from intake.territory.addresses import normalise_street
from intake.territory.model import (
    PRIORITIES,
    RULES,
    SERVICE_CODES,
    SIDES,
    SOURCE_KINDS,
    ActionKind,
    Commune,
    Contact,
    Offer,
    Programme,
    Qpv,
    School,
    Service,
    SourceFile,
    Sources,
    Street,
    Territory,
    Translations,
)


class TerritoryError(Exception):
    """A territory file that cannot be used; the message names the file and the problem."""


def load_territory(path: str | os.PathLike[str]) -> Territory:
    """Read and validate the territory file at path; raise TerritoryError naming the problem."""
    source = os.fspath(path)
    try:
        # utf-8-sig: editors on Windows like to start files with a byte-order mark.
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TerritoryError(
            f"{source}: not valid UTF-8 ({exc.reason} at byte {exc.start})"
        ) from None
    except OSError as exc:
        raise TerritoryError(f"{source}: cannot read the file: {exc.strerror or exc}") from None
    return parse_territory(text, source)


def parse_territory(text: str, source: str = "<string>") -> Territory:
    """Parse and validate territory TOML text; source names it in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TerritoryError(_toml_error(source, str(exc))) from None
    return _Reader(source).territory(data)


_TOML_POSITION = re.compile(r"^(?P<msg>.*) \(at line (?P<line>\d+), column (?P<col>\d+)\)$", re.S)


def _toml_error(source: str, message: str) -> str:
    # Python 3.11's TOMLDecodeError only carries the position inside its message.
    match = _TOML_POSITION.match(message)
    if match is None:
        return f"{source}: invalid TOML: {message}"
    return f"{source}: line {match['line']}: {match['msg']} (column {match['col']})"


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_POSTCODE = re.compile(r"^[0-9]{5}$")
_UAI = re.compile(r"^[0-9]{7}[A-Z]$")
# Five characters: digits, or Corsica's 2A/2B followed by three digits.
_INSEE = re.compile(r"^(?:[0-9]{5}|2[AB][0-9]{3})$")

_TOP_KEYS = (
    "programme",
    "contact",
    "offers",
    "communes",
    "qpv",
    "schools",
    "sources",
    "action_kinds",
    "services",
)
_PROGRAMME_KEYS = (
    "name",
    "organisation",
    "notify",
    "min_age",
    "max_age",
    "rule",
    "retention_months",
    "remind_after_days",
    "contact_within_days",
)
_CONTACT_KEYS = ("address", "phone", "email", "hours")
_OFFER_KEYS = ("title", "description")
_SERVICE_KEYS = ("code", "name", "address", "phone", "hours")
# The languages the file's own words may also be given in, as a table of that name inside
# the text's table (`en = { hours = "…" }`): the service's languages but French, in which the
# file is written (intake.rules.reach.LANGUAGES, which this layer does not import; a test
# keeps them equal). Which keys each table may translate: what a family reads.
TEXT_LANGUAGES = ("en",)
_CONTACT_TEXTS = ("hours",)
_OFFER_TEXTS = ("title", "description")
_SERVICE_TEXTS = ("name", "hours")
_COMMUNE_KEYS = ("name", "insee", "postcodes")
_QPV_KEYS = ("code", "name", "commune", "streets")
_STREET_KEYS = ("name", "from", "to", "side")
_SCHOOL_KEYS = ("uai", "name", "commune", "priority")
_SOURCES_KEYS = ("built_on", "files")
_SOURCE_FILE_KEYS = ("kind", "name", "url", "date", "sha256")
_ACTION_KIND_KEYS = ("code", "name")
# An action kind's code is stored (parcours_action.kind, 40 characters) and counted by code.
_ACTION_KIND_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# The built-in kinds (intake.rules.parcours.ACTION_KINDS, which sits above the territory and
# cannot be imported here; tests/territory keeps the two in step): a territory's own kind
# may not take one of their codes.
BUILT_IN_ACTION_KINDS = (
    "tutoring",
    "speech_therapy",
    "psychological",
    "culture_sport",
    "parenting",
    "rights",
    "other",
)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

_MISSING = object()


def _describe(value: Any) -> str:
    """Show a TOML value the way its author wrote it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return repr(value)


class _Reader:
    """Validates the parsed TOML, keeping the file name for every message."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> TerritoryError:
        prefix = f"{self.source}: {where}: " if where else f"{self.source}: "
        return TerritoryError(prefix + problem)

    def required(self, where: str) -> TerritoryError:
        return TerritoryError(f"{self.source}: {where} is required")

    # Typed accessors ------------------------------------------------------------------------

    def table(self, value: Any, where: str, keys: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"must be a table, not {_describe(value)}")
        for key in value:
            if key not in keys:
                # An unknown key is most often a typo that would silently drop a setting.
                raise self.fail(where, f"unknown key {key!r} (expected one of: {', '.join(keys)})")
        return value

    def tables(self, data: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(where, f"must be an array of tables ([[{key}]])")
        return value

    def string(
        self,
        data: dict[str, Any],
        key: str,
        where: str,
        *,
        default: Any = _MISSING,
        empty: bool = False,
    ) -> str:
        path = f"{where}.{key}"
        value = data.get(key, default)
        if value is _MISSING:
            raise self.required(path)
        if not isinstance(value, str):
            raise self.fail("", f"{path} must be a string, not {_describe(value)}")
        value = value.strip()
        if not value and not empty:
            raise self.fail("", f"{path} must not be empty")
        return value

    def integer(
        self, data: dict[str, Any], key: str, where: str, *, default: Any = _MISSING, minimum: int
    ) -> int:
        path = f"{where}.{key}"
        value = data.get(key, default)
        if value is _MISSING:
            raise self.required(path)
        # bool is a subclass of int in Python, but `min_age = true` is a mistake, not a 1.
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail("", f"{path} must be an integer, not {_describe(value)}")
        if value < minimum:
            what = "must not be negative" if minimum == 0 else f"must be at least {minimum}"
            raise self.fail("", f"{path} {what} (found {value})")
        return value

    def strings(self, data: dict[str, Any], key: str, where: str, *, required: bool) -> list[str]:
        path = f"{where}.{key}"
        value = data.get(key, _MISSING)
        if value is _MISSING:
            if required:
                raise self.required(path)
            return []
        if not isinstance(value, list):
            raise self.fail("", f"{path} must be an array of strings, not {_describe(value)}")
        for index, item in enumerate(value, start=1):
            if not isinstance(item, str):
                raise self.fail("", f"{path}[{index}] must be a string, not {_describe(item)}")
        return [item.strip() for item in value]

    def commune_name(self, data: dict[str, Any], where: str, communes: dict[str, str]) -> str:
        name = self.string(data, "commune", where)
        canonical = communes.get(name.casefold())
        if canonical is None:
            declared = ", ".join(communes.values())
            raise self.fail("", f"{where}.commune {name!r} is not a declared commune ({declared})")
        return canonical

    # Sections -------------------------------------------------------------------------------

    def territory(self, data: dict[str, Any]) -> Territory:
        self.table(data, "", _TOP_KEYS)
        if "programme" not in data:
            raise self.required("programme")
        if "communes" not in data:
            raise self.fail("", "communes is required (at least one [[communes]] table)")
        programme = self.programme(self.table(data["programme"], "programme", _PROGRAMME_KEYS))
        contact = None
        if "contact" in data:
            contact = self.contact(
                self.table(data["contact"], "contact", _CONTACT_KEYS + TEXT_LANGUAGES)
            )
        offers = tuple(
            self.offer(
                self.table(raw, f"offers[{i}]", _OFFER_KEYS + TEXT_LANGUAGES), f"offers[{i}]"
            )
            for i, raw in enumerate(self.tables(data, "offers", "offers"), start=1)
        )
        communes = self.communes(self.tables(data, "communes", "communes"))
        by_name = {c.name.casefold(): c.name for c in communes}
        qpvs = self.qpvs(self.tables(data, "qpv", "qpv"), by_name)
        schools = self.schools(self.tables(data, "schools", "schools"), by_name)
        sources = None
        if "sources" in data:
            sources = self.sources(self.table(data["sources"], "sources", _SOURCES_KEYS))
        return Territory(
            programme=programme,
            contact=contact,
            offers=offers,
            communes=communes,
            qpvs=qpvs,
            schools=schools,
            source=self.source,
            sources=sources,
            action_kinds=self.action_kinds(self.tables(data, "action_kinds", "action_kinds")),
            services=self.services(self.tables(data, "services", "services")),
        )

    def programme(self, data: dict[str, Any]) -> Programme:
        where = "programme"
        name = self.string(data, "name", where)
        organisation = self.string(data, "organisation", where)
        notify = self.strings(data, "notify", where, required=False)
        for index, address in enumerate(notify, start=1):
            if not _EMAIL.match(address):
                raise self.fail(
                    "", f"{where}.notify[{index}] is not an e-mail address: {address!r}"
                )
        min_age = self.integer(data, "min_age", where, minimum=0)
        max_age = self.integer(data, "max_age", where, minimum=0)
        if min_age > max_age:
            raise self.fail(where, f"min_age ({min_age}) is greater than max_age ({max_age})")
        rule = self.string(data, "rule", where)
        if rule not in RULES:
            raise self.fail("", f"{where}.rule must be one of {', '.join(RULES)}, not {rule!r}")
        return Programme(
            name=name,
            organisation=organisation,
            notify=tuple(notify),
            min_age=min_age,
            max_age=max_age,
            rule=rule,
            retention_months=self.integer(data, "retention_months", where, default=24, minimum=1),
            remind_after_days=self.integer(data, "remind_after_days", where, default=7, minimum=1),
            contact_within_days=self.integer(
                data, "contact_within_days", where, default=15, minimum=1
            ),
        )

    def contact(self, data: dict[str, Any]) -> Contact:
        values = {k: self.string(data, k, "contact", default="", empty=True) for k in _CONTACT_KEYS}
        if values["email"] and not _EMAIL.match(values["email"]):
            raise self.fail("", f"contact.email is not an e-mail address: {values['email']!r}")
        return Contact(**values, translations=self.translations(data, "contact", _CONTACT_TEXTS))

    def offer(self, data: dict[str, Any], where: str) -> Offer:
        return Offer(
            title=self.string(data, "title", where),
            description=self.string(data, "description", where),
            translations=self.translations(data, where, _OFFER_TEXTS),
        )

    def translations(self, data: dict[str, Any], where: str, keys: tuple[str, ...]) -> Translations:
        """The texts of the table `data` (at `where`) given in other languages: each language's
        table may hold any of `keys`, as non-empty strings."""
        found = []
        for language in TEXT_LANGUAGES:
            if language not in data:
                continue
            inner = f"{where}.{language}"
            texts = self.table(data[language], inner, keys)
            found.extend((language, key, self.string(texts, key, inner)) for key in texts)
        return tuple(found)

    def action_kinds(self, raws: list[dict[str, Any]]) -> tuple[ActionKind, ...]:
        kinds: list[ActionKind] = []
        for index, raw in enumerate(raws, start=1):
            where = f"action_kinds[{index}]"
            data = self.table(raw, where, _ACTION_KIND_KEYS)
            code = self.string(data, "code", where)
            if not _ACTION_KIND_CODE.match(code):
                raise self.fail(
                    "",
                    f"{where}.code must be lowercase ASCII letters, digits and underscores, "
                    f"starting with a letter, at most 40 characters: {code!r}",
                )
            if code in BUILT_IN_ACTION_KINDS:
                raise self.fail(
                    "",
                    f"{where}.code {code!r} is a built-in kind of action "
                    f"({', '.join(BUILT_IN_ACTION_KINDS)}): choose another code",
                )
            if any(kind.code == code for kind in kinds):
                raise self.fail("", f"{where}.code {code!r} is declared twice")
            kinds.append(ActionKind(code=code, name=self.string(data, "name", where)))
        return tuple(kinds)

    def services(self, raws: list[dict[str, Any]]) -> tuple[Service, ...]:
        services: list[Service] = []
        for index, raw in enumerate(raws, start=1):
            where = f"services[{index}]"
            data = self.table(raw, where, _SERVICE_KEYS + TEXT_LANGUAGES)
            code = self.string(data, "code", where)
            if code not in SERVICE_CODES:
                raise self.fail(
                    "",
                    f"{where}.code must be a decision's service ({', '.join(SERVICE_CODES)}), "
                    f"not {code!r}",
                )
            if any(service.code == code for service in services):
                raise self.fail("", f"{where}.code {code!r} is declared twice")
            details = {
                key: self.string(data, key, where, default="", empty=True)
                for key in _SERVICE_KEYS
                if key != "code"
            }
            translations = self.translations(data, where, _SERVICE_TEXTS)
            services.append(Service(code=code, **details, translations=translations))
        return tuple(services)

    def communes(self, raws: list[dict[str, Any]]) -> tuple[Commune, ...]:
        if not raws:
            raise self.fail("", "communes is required (at least one [[communes]] table)")
        communes: list[Commune] = []
        seen: set[str] = set()
        codes: set[str] = set()
        for index, raw in enumerate(raws, start=1):
            where = f"communes[{index}]"
            self.table(raw, where, _COMMUNE_KEYS)
            name = self.string(raw, "name", where)
            if name.casefold() in seen:
                raise self.fail(where, f"duplicate commune {name}")
            seen.add(name.casefold())
            postcodes = self.strings(raw, "postcodes", where, required=True)
            if not postcodes:
                raise self.fail("", f"{where}.postcodes must list at least one postcode")
            for number, postcode in enumerate(postcodes, start=1):
                if not _POSTCODE.match(postcode):
                    raise self.fail(
                        "", f"{where}.postcodes[{number}] must be 5 digits, not {postcode!r}"
                    )
            insee = self.string(raw, "insee", where, default="", empty=True).upper()
            if insee and not _INSEE.match(insee):
                raise self.fail(
                    "",
                    f"{where}.insee must be an INSEE code of 5 characters "
                    f"(62516, 2A004), not {insee!r}",
                )
            if insee and insee in codes:
                raise self.fail(where, f"duplicate INSEE code {insee}")
            codes.add(insee)
            communes.append(Commune(name=name, postcodes=tuple(postcodes), insee=insee))
        return tuple(communes)

    def qpvs(self, raws: list[dict[str, Any]], communes: dict[str, str]) -> tuple[Qpv, ...]:
        qpvs: list[Qpv] = []
        seen: set[str] = set()
        for index, raw in enumerate(raws, start=1):
            where = f"qpv[{index}]"
            self.table(raw, where, _QPV_KEYS)
            code = self.string(raw, "code", where).upper()
            if code in seen:
                raise self.fail(where, f"duplicate QPV code {code}")
            seen.add(code)
            name = self.string(raw, "name", where)
            commune = self.commune_name(raw, where, communes)
            # An empty list is allowed: a new territory may declare its QPV before its streets
            # are known. Screening then cannot rule an address of its commune out: residence is
            # "to check", and the reason says the streets are not listed yet.
            streets = raw.get("streets", _MISSING)
            if streets is _MISSING:
                raise self.required(f"{where}.streets")
            if not isinstance(streets, list):
                raise self.fail("", f"{where}.streets must be an array, not {_describe(streets)}")
            parsed = tuple(
                self.street(street, f"{where}.streets[{i}]")
                for i, street in enumerate(streets, start=1)
            )
            qpvs.append(Qpv(code=code, name=name, commune=commune, streets=parsed))
        return tuple(qpvs)

    def street(self, raw: Any, where: str) -> Street:
        if not isinstance(raw, dict):
            raise self.fail(where, f'must be a table like {{ name = "rue …" }}, not {raw!r}')
        self.table(raw, where, _STREET_KEYS)
        name = self.string(raw, "name", where)
        if not normalise_street(name):
            raise self.fail("", f"{where}.name has no letters or digits: {name!r}")
        from_ = self.integer(raw, "from", where, minimum=1) if "from" in raw else None
        to = self.integer(raw, "to", where, minimum=1) if "to" in raw else None
        if from_ is not None and to is not None and from_ > to:
            raise self.fail(where, f"from ({from_}) is greater than to ({to})")
        side = raw.get("side")
        if side is not None and side not in SIDES:
            raise self.fail(
                "",
                f'{where}.side must be "odd" or "even" (or absent for both sides), '
                f"not {_describe(side)}",
            )
        return Street(name=name, from_=from_, to=to, side=side)

    def schools(self, raws: list[dict[str, Any]], communes: dict[str, str]) -> tuple[School, ...]:
        schools: list[School] = []
        seen: set[str] = set()
        for index, raw in enumerate(raws, start=1):
            where = f"schools[{index}]"
            self.table(raw, where, _SCHOOL_KEYS)
            written = self.string(raw, "uai", where)
            uai = written.upper()
            if not _UAI.match(uai):
                raise self.fail(
                    "",
                    f"{where}.uai must be 7 digits and a letter (like 0620000X), not {written!r}",
                )
            if uai in seen:
                raise self.fail(where, f"duplicate UAI {uai}")
            seen.add(uai)
            name = self.string(raw, "name", where)
            commune = self.commune_name(raw, where, communes)
            written = self.string(raw, "priority", where, empty=True)
            priority = written.upper()
            if priority not in PRIORITIES:
                raise self.fail(
                    "", f'{where}.priority must be "REP", "REP+" or "" (none), not {written!r}'
                )
            schools.append(School(uai=uai, name=name, commune=commune, priority=priority))
        return tuple(schools)

    def day(self, data: dict[str, Any], key: str, where: str) -> date:
        path = f"{where}.{key}"
        value = data.get(key, _MISSING)
        if value is _MISSING:
            raise self.required(path)
        # A TOML date (2026-12-06) or, written by hand, a date and time: the day is kept.
        if isinstance(value, datetime):
            return value.date()
        if not isinstance(value, date):
            raise self.fail("", f"{path} must be a date like 2026-12-06, not {_describe(value)}")
        return value

    def sources(self, data: dict[str, Any]) -> Sources:
        where = "sources"
        built_on = self.day(data, "built_on", where)
        files = []
        for index, raw in enumerate(self.tables(data, "files", f"{where}.files"), start=1):
            at = f"{where}.files[{index}]"
            self.table(raw, at, _SOURCE_FILE_KEYS)
            kind = self.string(raw, "kind", at)
            if kind not in SOURCE_KINDS:
                raise self.fail(
                    "", f"{at}.kind must be one of {', '.join(SOURCE_KINDS)}, not {kind!r}"
                )
            sha256 = self.string(raw, "sha256", at).lower()
            if not _SHA256.match(sha256):
                raise self.fail("", f"{at}.sha256 must be 64 hexadecimal digits, not {sha256!r}")
            files.append(
                SourceFile(
                    kind=kind,
                    name=self.string(raw, "name", at),
                    url=self.string(raw, "url", at, default="", empty=True),
                    date=self.day(raw, "date", at),
                    sha256=sha256,
                )
            )
        return Sources(built_on=built_on, files=tuple(files))
