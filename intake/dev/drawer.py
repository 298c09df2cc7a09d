"""`Drawer`: one seeded random source and the draws that make a referral and its history."""

from __future__ import annotations

import hashlib
import random
from collections import deque
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from intake.dev.draws import Places, draw_address, draw_mobile, draw_text
from intake.dev.odds import DECLINE_REASONS, LEVELS, REDIRECT_SERVICES, STATUS_TABLES
from intake.dev.texts import (
    ACTIONS,
    COMMENTS,
    DECLINED_COMMENTS,
    HEARD_FROM,
    LEVEL_WORDS,
    REDIRECTED_COMMENTS,
    REOPEN_COMMENTS,
    SITUATION,
    WITHDRAWN_COMMENTS,
)
from intake.dev.words import (
    FIRST_NAMES,
    GUARDIAN_FIRST_NAMES,
    HOME_LANGUAGES,
    LAST_NAMES,
    ORGANISATIONS,
    OTHER_SCHOOLS,
)
from intake.referrals.screening import screening_columns
from intake.rules.ages import age_on, years_and_months_on
from intake.rules.clock import PARIS, local_date
from intake.rules.decisions import AGREEMENT_METHODS
from intake.rules.parcours import school_level
from intake.rules.screening import Eligibility, best, screen
from intake.rules.search import normalise, referral_key
from intake.rules.vocabulary import DOMAINS, REFERRER_ROLES
from intake.rules.workflow import FINAL, Status
from intake.territory.model import Territory

# The share of open referrals that send again a child of a recent open one (another
# professional, or the parent after the school): what the duplicate check warns about.
DUPLICATE_SHARE = 0.04
SEXES, SEX_WEIGHTS = ("F", "M", ""), (48, 48, 4)
# How far back the received dates go.
SPAN_DAYS = 3 * 365
ADDRESS_POOL = 1500


class Drawer:
    """The draws of one `generate`: from one `random.Random(seed)`, in a fixed order."""

    def __init__(
        self,
        territory: Territory,
        seed: int,
        now: datetime,
        user_ids: Sequence[int],
    ) -> None:
        self.territory = territory
        self.seed = seed
        self.now = now
        self.user_ids = list(user_ids)
        self.places = Places(territory)
        # Reproducible on purpose: fictional data, nothing secret is drawn from it.
        self.rng = random.Random(seed)  # noqa: S311
        # The family's languages (issue 27) from a source of their own: the draws above keep
        # the order they had, so a seed makes the same referrals as before, languages added.
        self.languages_rng = random.Random(f"{seed}:languages")  # noqa: S311
        self.methods = list(AGREEMENT_METHODS)
        self.domains = list(DOMAINS)
        self.roles = list(REFERRER_ROLES)
        # Screening reads only these; the same child at the same address the same day is
        # rare, but the school and place verdicts repeat, and the cache costs nothing.
        self._screenings: dict[tuple, Any] = {}
        self.orders = {
            name: [self.rng.sample(range(len(fragments)), len(fragments)) for _ in range(64)]
            for name, fragments in (("situation", SITUATION), ("actions", ACTIONS))
        }
        # Families of a territory live in a few thousand buildings: drawing addresses from
        # such a pool is realistic, and lets the screening cache below serve most children.
        self.addresses = [draw_address(self.rng, self.places) for _ in range(ADDRESS_POOL)]

    def slug(self, name: str) -> str:
        """A name as an e-mail address spells it: no accents, no spaces."""
        return normalise(name).replace(" ", "-")

    def search_key(self, row: dict[str, Any], children: list[dict[str, Any]]) -> str:
        """`intake.rules.search.referral_key` of the referral's row and its children's."""
        return referral_key(
            SimpleNamespace(**row, children=[SimpleNamespace(**child) for child in children])
        )

    def user(self) -> int | None:
        """A coordinator to sign a change or a note, or now and then nobody."""
        return self.rng.choice(self.user_ids) if self.user_ids and self.rng.random() < 0.9 else None

    def sent_again(
        self,
        row: dict[str, Any],
        children: list[dict[str, Any]],
        status: Status,
        recent: deque,
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """Now and then, make this open referral a second sending of a recent open one: its
        first child is the other's, born the same day, its names written another way (case,
        accents, order), by the same family at the same address. Returns the earlier
        referral's row and child when it does."""
        rng = self.rng
        if status in FINAL or not recent or rng.random() >= DUPLICATE_SHARE:
            return None
        earlier_row, earlier_child = rng.choice(recent)
        first, last = earlier_child["first_name"], earlier_child["last_name"]
        spelling = rng.randrange(3)
        if spelling == 0:
            first, last = normalise(first).title(), last.upper()
        elif spelling == 1:
            first, last = last.upper(), first  # the two fields swapped
        else:
            first, last = normalise(first), normalise(last)  # all lower case, no accents
        day = local_date(row["received_at"])
        child = children[0]
        child.update(
            first_name=first,
            last_name=last,
            birth_date=earlier_child["birth_date"],
            school=earlier_child["school"],
            school_other=earlier_child["school_other"],
            class_level=earlier_child["class_level"],
        )
        for name in ("guardian_name", "address", "postcode", "city"):
            row[name] = earlier_row[name]
        child.update(
            self.screening(
                child["birth_date"], child["school"], row["address"], row["postcode"], day
            )
        )
        row["eligibility"] = best(c["eligibility"] for c in children).value
        return earlier_row, earlier_child

    def received_dates(self, count: int) -> list[datetime]:
        """Sorted receipt moments over the last three years, busier lately, in office hours."""
        rng = self.rng
        today = local_date(self.now)
        moments = []
        for _ in range(count):
            # A programme's queue is alive: a sixth of the referrals came in the last month.
            days = rng.uniform(0, 30) if rng.random() < 0.16 else rng.uniform(0, SPAN_DAYS)
            day = today - timedelta(days=int(days))
            hour = rng.choice((8, 9, 9, 10, 10, 11, 11, 13, 14, 14, 15, 16, 17, 18, 20, 22))
            local = datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=PARIS)
            moment = local.astimezone(UTC)
            if moment >= self.now:
                moment = self.now - timedelta(minutes=rng.randint(1, 600))
            moments.append(moment)
        moments.sort()
        return moments

    def statuses(self, received: list[datetime]) -> list[Status]:
        """The status each referral has reached, drawn by its age."""
        rng = self.rng
        chosen = []
        for moment in received:
            age = (self.now - moment).days
            _, names, weights = next(t for t in STATUS_TABLES if age <= t[0])
            chosen.append(rng.choices(names, weights)[0])
        # A demo (and the tests) want every status on screen: a status the draw missed goes
        # to the newest referral for an open one, the oldest for a final one, taking it from
        # a status present more than once.
        if len(received) >= len(Status):
            for status in Status:
                if status in chosen:
                    continue
                order = range(len(chosen))
                if status in (Status.NEW, Status.IN_REVIEW, Status.EPS):
                    order = reversed(order)
                for index in order:
                    if chosen.count(chosen[index]) > 1:
                        chosen[index] = status
                        break
        return chosen

    def screening(self, birth_date: date, school: str, address: str, postcode: str, day: date):
        """The real screening of a child, cached: its result depends on the birth date and
        the day only through the age on that day, in years (and months below the programme's
        minimum age), so children of the same age at the same address and school share one
        call."""
        years, months = years_and_months_on(birth_date, day)
        age = (years, months) if years < self.territory.programme.min_age else years
        key = (age, school, address, postcode)
        found = self._screenings.get(key)
        if found is None:
            result = screen(
                birth_date=birth_date,
                school=school,
                address=address,
                postcode=postcode,
                territory=self.territory,
                today=day,
            )
            found = screening_columns(result, self.territory)
            self._screenings[key] = found
        return found

    def children(self, count: int, family: str, day: date, address: str, postcode: str):
        """The rows of a referral's `count` children, screened on `day`."""
        rng = self.rng
        programme = self.territory.programme
        rows = []
        for position in range(count):
            if rng.random() < 0.9:
                years = rng.uniform(programme.min_age, programme.max_age + 0.99)
            else:
                years = rng.choice((rng.uniform(0.3, programme.min_age), rng.uniform(17, 19)))
            birth_date = day - timedelta(days=int(years * 365.25))
            age = age_on(birth_date, day)
            level = LEVELS[age] if age < len(LEVELS) else "other"
            pool = self.places.secondary if age >= 11 else self.places.primary
            pool = pool or self.places.schools
            if level == "other":
                # Past the collège: a lycée, which no territory file lists.
                school, school_other = "other", "Lycée professionnel Jean-Monnet"
            elif pool and rng.random() < 0.82:
                school, school_other = rng.choice(pool), None
            else:
                school, school_other = "other", rng.choice(OTHER_SCHOOLS)
            last_name = family if rng.random() < 0.92 else rng.choice(LAST_NAMES)
            screened = self.screening(birth_date, school, address, postcode, day)
            rows.append(
                {
                    "position": position,
                    "first_name": rng.choice(FIRST_NAMES),
                    "last_name": last_name,
                    "birth_date": birth_date,
                    "school": school,
                    "school_other": school_other,
                    "class_level": level,
                    "school_level": school_level(level, birth_date, day),
                    # Recorded at the first contact (see `generate`), now and then left blank.
                    "sex": rng.choices(SEXES, SEX_WEIGHTS)[0],
                    **screened,
                }
            )
        return rows

    def referral(self, received_at: datetime, status: Status, year: int, number: int) -> dict:
        """A referral's row, with its children's rows under "children"."""
        rng = self.rng
        reference = f"PRE-{year}-{number:05d}"
        source = "professional" if rng.random() < 0.65 else "parent"
        family = rng.choice(LAST_NAMES)
        guardian_last = family if rng.random() < 0.85 else rng.choice(LAST_NAMES)
        guardian_first = rng.choice(GUARDIAN_FIRST_NAMES)
        address, postcode, city = rng.choice(self.addresses)
        day = local_date(received_at)
        count = rng.choices((1, 2, 3), (75, 20, 5))[0]
        children = self.children(count, family, day, address, postcode)
        first = children[0]
        phone = draw_mobile(rng) if rng.random() < 0.92 else None
        email = None
        if phone is None or rng.random() < 0.6:
            email = f"{self.slug(guardian_first)}.{self.slug(guardian_last)}"
            email += f"{rng.randint(1, 99)}@example.org"
        row: dict[str, Any] = {
            "reference": reference,
            "year": year,
            "number": number,
            "source": source,
            "received_at": received_at,
            "status": status.value,
            "eligibility": best(c["eligibility"] for c in children).value,
            "urgent": source == "professional" and rng.random() < 0.04,
            "fingerprint": hashlib.sha256(
                f"intake.seed:{self.seed}:{reference}:{rng.random()}".encode()
            ).hexdigest(),
            "version": 1,
            "guardian_name": f"{guardian_first} {guardian_last}",
            "guardian_phone": phone,
            "guardian_email": email,
            "address": address,
            "postcode": postcode,
            "city": city,
            "domains": sorted(rng.sample(self.domains, rng.randint(1, 4))),
            "situation": draw_text(
                rng,
                SITUATION,
                self.orders["situation"],
                300,
                1200,
                name=first["first_name"],
                level=LEVEL_WORDS.get(first["class_level"], f"en {first['class_level']}"),
            ),
            "referrer_name": None,
            "referrer_organisation": None,
            "referrer_role": None,
            "referrer_email": None,
            "referrer_phone": None,
            "actions_tried": None,
            "family_informed": False,
            "consent": False,
            "heard_from": None,
        }
        if source == "professional":
            role = rng.choice(self.roles)
            first_name, last_name = rng.choice(GUARDIAN_FIRST_NAMES), rng.choice(LAST_NAMES)
            name = f"{first_name} {last_name}"
            if role in ORGANISATIONS:
                organisation = f"{rng.choice(ORGANISATIONS[role])} de {city}"
            else:
                organisation = rng.choice(self.places.school_names)
            row.update(
                referrer_name=name,
                referrer_organisation=organisation,
                referrer_role=role,
                referrer_email=f"{self.slug(first_name)}.{self.slug(last_name)}@example.org",
                referrer_phone=draw_mobile(rng) if rng.random() < 0.7 else None,
                actions_tried=draw_text(rng, ACTIONS, self.orders["actions"], 80, 600),
                family_informed=rng.random() < 0.9,
            )
        else:
            row.update(consent=True, heard_from=rng.choice(HEARD_FROM) or None)
        row.update(self.languages())
        return {**row, "children": children}

    def languages(self) -> dict[str, Any]:
        """A family's languages: about one in ten written to in English, one in five saying
        what is spoken at home, one in twelve asking for an interpreter."""
        rng = self.languages_rng
        english = rng.random() < 0.10
        home = rng.random() < 0.20
        return {
            "contact_language": "en" if english else "fr",
            "sent_language": "en" if english and rng.random() < 0.7 else "fr",
            "home_languages": rng.choice(HOME_LANGUAGES) if home else "",
            "interpreter": rng.random() < 0.08,
        }

    def path(self, status: Status, eligibility: str) -> list[dict[str, Any]]:
        """The steps after `new` that lead to `status`, each with its comment and codes."""
        rng = self.rng
        open_path = {
            Status.NEW: [],
            Status.IN_REVIEW: [Status.IN_REVIEW],
            Status.EPS: [Status.IN_REVIEW, Status.EPS],
            Status.ACCEPTED: [Status.IN_REVIEW, Status.EPS, Status.ACCEPTED],
            Status.CLOSED: [Status.IN_REVIEW, Status.EPS, Status.ACCEPTED, Status.CLOSED],
        }
        if status in open_path:
            targets = open_path[status]
        else:
            prefix = rng.choices(
                ([], [Status.IN_REVIEW], [Status.IN_REVIEW, Status.EPS]), (25, 55, 20)
            )[0]
            targets = [*prefix, status]
        steps = [self.step(target, eligibility) for target in targets]
        # Now and then a decision is undone: declined as unreachable, then the family called.
        if steps and steps[0]["to_status"] == Status.IN_REVIEW and rng.random() < 0.03:
            steps[0]["comment"] = rng.choice(REOPEN_COMMENTS)
            steps.insert(0, self.step(Status.DECLINED, eligibility, reason="unreachable"))
        return steps

    def step(self, target: Status, eligibility: str, reason: str | None = None) -> dict:
        """One change of status to `target`, with its comment and codes."""
        rng = self.rng
        step: dict[str, Any] = {
            "to_status": target,
            "comment": "",
            "reason": None,
            "service": None,
            "withdrawn_by": None,
            "share_reason": False,
        }
        if target is Status.DECLINED:
            if reason is None:
                if eligibility == Eligibility.NOT_ELIGIBLE and rng.random() < 0.7:
                    reason = rng.choice(("age", "territory"))
                else:
                    reason = rng.choices(list(DECLINE_REASONS), list(DECLINE_REASONS.values()))[0]
            step.update(
                reason=reason, comment=DECLINED_COMMENTS[reason], share_reason=rng.random() < 0.6
            )
        elif target is Status.REDIRECTED:
            service = rng.choices(list(REDIRECT_SERVICES), list(REDIRECT_SERVICES.values()))[0]
            reason = "mainstream_service" if rng.random() < 0.8 else rng.choice(("age", "other"))
            comment = REDIRECTED_COMMENTS[service]
            if reason == "other":
                comment += " La situation dépasse le cadre du programme."
            step.update(
                reason=reason, service=service, comment=comment, share_reason=rng.random() < 0.7
            )
        elif target is Status.WITHDRAWN:
            by = "family" if rng.random() < 0.7 else "referrer"
            step.update(withdrawn_by=by, comment=WITHDRAWN_COMMENTS[by])
        else:
            step["comment"] = rng.choice(COMMENTS[target])
        return step
