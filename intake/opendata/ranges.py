"""The fewest street entries (from, to, side) that hold a street's inside house numbers.

Screening places an address in a priority neighbourhood when ANY entry of its street accepts
its number (`Street.accepts`): an entry holds the numbers from `from` to `to` on one side
("odd" or "even") or on both. Entries computed here accept every inside number of the street
and no outside one, and there are as few of them as possible. Pure functions, no Flask.

Only the numbers the Base Adresse Nationale lists are known, so an entry whose run reaches the
first (or last) known number of its sequence leaves `from` (or `to`) open: nothing known lies
beyond it, and an entry without bounds reads better than bounds copied from today's file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    """A street entry: numbers from_ to `to` (None: open) on one side (None: both sides)."""

    from_: int | None = None
    to: int | None = None
    side: str | None = None

    @property
    def is_whole(self) -> bool:
        """Whether the entry holds every number of the street, on both sides."""
        return self.from_ is None and self.to is None and self.side is None


def _runs(numbers: Sequence[int], inside: Mapping[int, bool]) -> list[list[int]]:
    """The maximal runs of consecutive inside numbers in a sorted sequence."""
    runs: list[list[int]] = []
    current: list[int] = []
    for number in numbers:
        if inside[number]:
            current.append(number)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def _entry(run: list[int], sequence: Sequence[int], side: str | None) -> Entry:
    """The entry for a run, open where the run reaches an end of its sequence."""
    return Entry(
        from_=None if run[0] == sequence[0] else run[0],
        to=None if run[-1] == sequence[-1] else run[-1],
        side=side,
    )


def fewest_entries(inside: Mapping[int, bool]) -> list[Entry]:
    """The fewest entries accepting exactly the numbers mapped to True among those listed.

    A side entry holds a run of consecutive inside numbers among the street's numbers of that
    parity; a both-sides entry holds a run of consecutive inside numbers among all of them. A
    both-sides entry can do the work of an odd and an even entry, or cost one more than they
    would: which to take is decided by a small dynamic programme, exact and linear.
    """
    numbers = sorted(inside)
    if not any(inside.values()):
        return []
    odd = [n for n in numbers if n % 2 == 1]
    even = [n for n in numbers if n % 2 == 0]
    odd_runs, even_runs, both_runs = _runs(odd, inside), _runs(even, inside), _runs(numbers, inside)
    # The numbers of one parity in a run across both sides are consecutive inside numbers of
    # that parity, so they lie in exactly one side run: its "group".
    odd_group = {n: i for i, run in enumerate(odd_runs) for n in run}
    even_group = {n: i for i, run in enumerate(even_runs) for n in run}

    # A side run is held either by its own side entry (cost 1) or by both-sides entries over
    # every run across both sides it meets. State: whether the current odd group and the
    # current even group are held by both-sides entries. Cost: (entries, both-sides entries),
    # so that a tie goes to side entries, which accept fewer numbers the BAN does not list.
    Cost = tuple[int, int]
    states: dict[tuple[bool, bool], tuple[Cost, tuple[bool, ...], tuple[bool, ...]]] = {
        (False, False): ((0, 0), (), ())
    }
    last_odd = last_even = -1
    for run in both_runs:
        run_odd = next((odd_group[n] for n in run if n % 2 == 1), None)
        run_even = next((even_group[n] for n in run if n % 2 == 0), None)
        new_odd = run_odd is not None and run_odd != last_odd
        new_even = run_even is not None and run_even != last_even
        following: dict[tuple[bool, bool], tuple[Cost, tuple[bool, ...], tuple[bool, ...]]] = {}
        for (held_odd, held_even), (cost, odd_choices, even_choices) in states.items():
            for odd_by_both in (False, True) if new_odd else (held_odd,):
                for even_by_both in (False, True) if new_even else (held_even,):
                    entries, both = cost
                    if new_odd and not odd_by_both:
                        entries += 1
                    if new_even and not even_by_both:
                        entries += 1
                    if (run_odd is not None and odd_by_both) or (
                        run_even is not None and even_by_both
                    ):
                        entries, both = entries + 1, both + 1
                    candidate = (
                        (entries, both),
                        odd_choices + ((odd_by_both,) if new_odd else ()),
                        even_choices + ((even_by_both,) if new_even else ()),
                    )
                    key = (odd_by_both, even_by_both)
                    if key not in following or candidate[0] < following[key][0]:
                        following[key] = candidate
        states = following
        last_odd = run_odd if run_odd is not None else last_odd
        last_even = run_even if run_even is not None else last_even

    _, odd_choices, even_choices = min(states.values(), key=lambda state: state[0])
    # Every side run started a group once, so each has its choice.
    entries = [
        _entry(run, odd, "odd")
        for run, by_both in zip(odd_runs, odd_choices, strict=True)
        if not by_both
    ]
    entries += [
        _entry(run, even, "even")
        for run, by_both in zip(even_runs, even_choices, strict=True)
        if not by_both
    ]
    for run in both_runs:
        held = any(n % 2 == 1 and odd_choices[odd_group[n]] for n in run) or any(
            n % 2 == 0 and even_choices[even_group[n]] for n in run
        )
        if held:
            entries.append(_entry(run, numbers, None))
    return sorted(entries, key=_position)


_SIDE_ORDER = {None: 0, "odd": 1, "even": 2}


def _position(entry: Entry) -> tuple[int, int, int]:
    """Entries in the order a reader expects: by first number, both sides, odd, then even."""
    start = entry.from_ if entry.from_ is not None else 0
    end = entry.to if entry.to is not None else 10**9
    return (start, _SIDE_ORDER[entry.side], end)
