"""The queue's search: what was typed, looked up in the referrals' search keys."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, func, literal_column, select, table

from intake.extensions import db
from intake.models import Referral
from intake.rules.search import LAST_ID, MIN_INDEXED, ORDER_STEP, needle, phrase


def search_condition(text_typed: str) -> ColumnElement[bool]:
    """Referrals whose search key holds what was typed, insensitive to case, accents and
    punctuation (intake.rules.search). Served by an index on both databases: pg_trgm's GIN index
    answers LIKE on PostgreSQL; on SQLite the FTS5 trigram table answers a phrase query.

    A needle of several words of three characters or more is looked up by its words, and
    the key then checked for the needle whole (`holds_whole`): the trigrams that span two
    words (" ca", "a c") or start one are among the commonest, and either index reads the list
    of every trigram it is asked for. SQLite's index is asked for each word apart. PostgreSQL
    gets one LIKE of the words in their order with anything between them ("%eva%camara%"),
    which pg_trgm answers from the trigrams inside the words only, and which the planner
    tries on its sampled keys once (a LIKE a word would be tried once each). At 100,000
    referrals, a child's full name as the whole needle took 1.8 ms to plan and run, as its
    words 1.0 (prepared, 2.1 and 1.65); at 1,000 referrals the same either way."""
    wanted = needle(text_typed)
    if not wanted:
        # Only punctuation was typed: nothing can hold it, rather than everything.
        return false()
    words = words_apart(wanted)
    indexed = indexed_query(wanted)
    if indexed is not None:
        found = select(INDEXED_ID).select_from(SEARCH_INDEX).where(INDEX_MATCH.match(indexed))
        in_index = Referral.id.in_(found)
        return and_(in_index, holds(wanted)) if words else in_index
    if words:
        # The words hold letters and digits only: no wildcard of their own.
        in_order = Referral.search_key.like("%" + "%".join(words) + "%")
        return and_(in_order, holds_whole(wanted))
    return holds(wanted)


def words_apart(wanted: str) -> list[str]:
    """The words of the needle `wanted` that an index finds apart (three characters or
    more), when there are several of them; none otherwise (the needle is looked up whole)."""
    words = [word for word in wanted.split() if len(word) >= MIN_INDEXED]
    return words if len(words) > 1 else []


def holds(wanted: str) -> ColumnElement[bool]:
    """The referral's search key holds the needle `wanted` (LIKE; an index serves it on
    PostgreSQL). The needle holds letters, digits and spaces only: no wildcard can slip in."""
    return Referral.search_key.contains(wanted, autoescape=True)


def holds_whole(wanted: str) -> ColumnElement[bool]:
    """holds(wanted) in words no index answers: checked on the rows the needle's words found,
    so that PostgreSQL does not look up every trigram of the whole needle in its index too.
    PostgreSQL's strpos: on SQLite a needle of several words always goes to the FTS5 index."""
    return func.strpos(Referral.search_key, wanted) > 0


# SQLite's FTS5 table of the search keys, numbered in the queue's order (intake.rules.search).
SEARCH_INDEX = table("referral_search")
INDEX_KEY = literal_column("referral_search.rowid")
INDEX_MATCH = literal_column("referral_search")
INDEXED_ID = LAST_ID - INDEX_KEY % ORDER_STEP


def indexed_query(wanted: str) -> str | None:
    """The FTS5 query that finds the needle `wanted`, when SQLite's trigram index can answer
    it (three characters at least); None otherwise: one phrase for the needle whole, or each
    of its words_apart as a phrase of its own, all required (the key is then checked for the
    whole needle). A three-word name at 100,000 referrals: 2.4 ms as one phrase, 1.2 as its
    words."""
    if db.engine.dialect.name != "sqlite" or len(wanted) < MIN_INDEXED:
        return None
    words = words_apart(wanted)
    return " AND ".join(phrase(word) for word in words) if words else phrase(wanted)
