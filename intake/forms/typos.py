"""Spot an e-mail domain that looks like a slip on a common provider's (gmial.com, orange.fe).

A pure rule over a table: never a suggestion for a domain in the table, so a correct address of
a known provider is never questioned. Unknown domains are left alone unless their name is a
near miss of a provider's name, or the name is a provider's and the ending a near miss of its.
"""

from __future__ import annotations

from rapidfuzz.distance import OSA

# The providers French families and professionals use most, and the real domains that sit
# close to them (mail.com beside gmail.com, laposte.fr beside laposte.net): never "corrected".
KNOWN_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "hotmail.fr",
        "hotmail.com",
        "live.fr",
        "live.com",
        "msn.com",
        "outlook.fr",
        "outlook.com",
        "yahoo.fr",
        "yahoo.com",
        "ymail.com",
        "orange.fr",
        "orange.com",
        "wanadoo.fr",
        "free.fr",
        "sfr.fr",
        "neuf.fr",
        "bbox.fr",
        "laposte.net",
        "laposte.fr",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "aol.fr",
        "gmx.fr",
        "gmx.com",
        "mail.com",
        "email.com",
        "protonmail.com",
        "proton.me",
        "numericable.fr",
        "club-internet.fr",
    }
)
# The providers whose slips are caught, with their domains (the first: the likeliest meant).
PROVIDERS = {
    "gmail": ("gmail.com",),
    "hotmail": ("hotmail.fr", "hotmail.com"),
    "outlook": ("outlook.fr", "outlook.com"),
    "yahoo": ("yahoo.fr", "yahoo.com"),
    "orange": ("orange.fr",),
    "wanadoo": ("wanadoo.fr",),
    "laposte": ("laposte.net",),
    "icloud": ("icloud.com",),
    "free": ("free.fr",),
    "live": ("live.fr", "live.com"),
    "sfr": ("sfr.fr",),
    "neuf": ("neuf.fr",),
}
# Domains that exist or could, but are not where people's mail is: said plainly.
EXPLICIT = {"gmail.fr": "gmail.com"}


def typo_distance(a: str, b: str) -> int:
    """Edits from `a` to `b`: a letter added, dropped, changed, or two neighbours swapped.

    That is the optimal string alignment distance, which rapidfuzz computes in C: a form
    sent with two e-mail addresses asks for a few dozen of them.
    """
    return OSA.distance(a, b)


def allowed_slips(name: str) -> int:
    """How far a typed name may be from a provider's and still be a slip of it.

    Short names are only matched exactly: "life" or "fre" are words, not slips of live or free.
    """
    if len(name) <= 4:
        return 0
    return 1 if len(name) <= 6 else 2


def suggest_domain(domain: str) -> str | None:
    """The provider's domain `domain` is likely a slip of, or None."""
    domain = domain.strip().casefold()
    if domain in KNOWN_DOMAINS:
        return None
    if domain in EXPLICIT:
        return EXPLICIT[domain]
    name, dot, ending = domain.rpartition(".")
    if not dot or not name or "." in name:
        return None  # no ending, or a subdomain (mail.ac-lille.fr): not a slip we can judge
    candidates = []
    for provider, domains in PROVIDERS.items():
        name_slips = typo_distance(name, provider)
        if name_slips > allowed_slips(provider):
            continue
        for known in domains:
            known_ending = known.rpartition(".")[2]
            ending_slips = typo_distance(ending, known_ending)
            if ending_slips > 1:
                continue
            if name_slips + ending_slips:  # the domain itself is not known (see above)
                candidates.append((name_slips + ending_slips, known))
        if name_slips and not any(known for _, known in candidates if known in domains):
            # A slip in the name with an ending of its own (gmal.fr): the provider's domain.
            candidates.append((name_slips + 1, domains[0]))
    # The fewest slips wins; on a tie, the provider and domain listed first.
    return min(candidates, key=lambda candidate: candidate[0])[1] if candidates else None


def suggest_address(address: str) -> str | None:
    """`address` with its domain corrected when it looks like a slip, else None."""
    local, at, domain = address.rpartition("@")
    if not at or not local:
        return None
    suggestion = suggest_domain(domain)
    return f"{local}@{suggestion}" if suggestion else None
