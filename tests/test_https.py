"""HTTPS is the tested path: the rule that replaces Flask-WTF's Referer check."""

from __future__ import annotations

import pytest

from intake import is_cross_site

OWN = "https://pre.testville.example"

# (Sec-Fetch-Site, Origin, refused?) for a POST to OWN; None is a header not sent.
CROSS_SITE_CASES = {
    "this site's page, no-referrer policy": ("same-origin", "null", False),
    "this site's page, origin named": ("same-origin", OWN, False),
    "typed or bookmarked by the user": ("none", None, False),
    "old browser or script: no header": (None, None, False),
    "old browser, origin withheld": (None, "null", False),
    "old browser, this origin": (None, OWN, False),
    "origin in upper case": (None, OWN.upper(), False),
    "fetch metadata in upper case": ("SAME-ORIGIN", None, False),
    "empty origin header": (None, "", False),
    "another site": ("cross-site", None, True),
    "another site, origin withheld": ("cross-site", "null", True),
    "another site, fetch metadata in upper case": ("Cross-Site", None, True),
    "a sibling subdomain": ("same-site", None, True),
    "old browser, another site": (None, "https://evil.example", True),
    "old browser, this host over http": (None, "http://pre.testville.example", True),
    "old browser, this host on another port": (None, OWN + ":8443", True),
    "old browser, a subdomain of this host": (None, "https://x.pre.testville.example", True),
    "old browser, this host as a suffix": (None, "https://pre.testville.example.evil", True),
    "same-origin claimed, foreign origin": ("same-origin", "https://evil.example", True),
}


@pytest.mark.parametrize(
    ("sec_fetch_site", "origin", "refused"), CROSS_SITE_CASES.values(), ids=CROSS_SITE_CASES
)
def test_is_cross_site(sec_fetch_site, origin, refused):
    assert is_cross_site(sec_fetch_site, origin, OWN) is refused
