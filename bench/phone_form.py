"""What a two-child `/demande` costs a parent on a phone (issue 27, point 6): Chromium at
360 px with touch, driven as a careful parent fills the form (phone only, no e-mail, the
optional fields left alone), then "Vérifier ma demande", then "Envoyer ma demande".

Counts the fields filled, the taps (a drop-down is two: open, pick), the keystrokes and the
page loads from the blank form to the confirmation. A field the page already holds right (a
default, a family name written for a sister) is read and left, and costs nothing. Run it on
any checkout's code:

    .venv/bin/python bench/phone_form.py                 # this checkout
    .venv/bin/python bench/phone_form.py --root /work/main

The server runs in a process of its own from `--root` (its code, its migrations) on a scratch
SQLite database and the test territory made one town, as most programmes are (Lillers is);
the browser is driven from here. Prints one JSON object. No test depends on it.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
# A French phone: Playwright would otherwise send Accept-Language: en-US, and get English.
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "is_mobile": True,
    "has_touch": True,
    "locale": "fr-FR",
}

# The server: the checkout's own test settings, on the territory given, migrated, served over
# http.
SERVER = """
import sys
from werkzeug.serving import make_server
from tests.support.app import build_app, migrate_to_head
url, port, territory = sys.argv[1], int(sys.argv[2]), sys.argv[3]
migrate_to_head(url)
app = build_app(url, INTAKE_TERRITORY=territory)
make_server("127.0.0.1", port, app, threaded=True).serve_forever()
"""


def one_commune(territory: str) -> str:
    """The test territory as most programmes are, one town (Lillers is): its second commune,
    and the school there, left out. Blocks are separated by blank lines."""
    blocks = territory.split("\n\n")
    return "\n\n".join(b for b in blocks if not (b.startswith("[[") and "Autreville" in b))


CHILDREN = [
    {
        "first_name": "Noah",
        "last_name": "Lefebvre",
        "day": "4",
        "month": "5",
        "year": "2016",
        "school": "0629001A",
        "class_level": "CE2",
    },
    {
        "first_name": "Léa",
        "last_name": "Lefebvre",
        "day": "20",
        "month": "11",
        "year": "2014",
        "school": "0629001A",
        "class_level": "CM2",
    },
]
FAMILY = {
    "guardian_name": "Sophie Lefebvre",
    "guardian_phone": "06 12 34 56 78",
    "address": "3 rue des Tilleuls",
    "postcode": "62999",
    "city": "Testville",
    "situation": "Noah a du mal à lire. Léa ne veut plus aller au collège.",
}


@dataclass
class Counts:
    fields: int = 0
    taps: int = 0
    keystrokes: int = 0
    page_loads: int = 0


class Parent:
    """Fills the form as a person on a phone does: a tap on each field, then typing."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.counts = Counts()
        page.on("load", lambda _: self.loaded())

    def loaded(self) -> None:
        self.counts.page_loads += 1

    def type(self, selector: str, text: str) -> None:
        # What the page already holds right is read and left: no tap, no key.
        if self.page.input_value(selector) == text:
            return
        self.page.locator(selector).tap()
        self.page.keyboard.type(text)
        self.counts.fields += 1
        self.counts.taps += 1
        self.counts.keystrokes += len(text)

    def choose(self, selector: str, value: str) -> None:
        if self.page.input_value(selector) == value:
            return
        # A drop-down on a phone: a tap opens the list, another picks.
        self.page.select_option(selector, value)
        self.counts.fields += 1
        self.counts.taps += 2

    def tick(self, selector: str) -> None:
        self.page.locator(selector).tap()
        self.counts.fields += 1
        self.counts.taps += 1

    def press(self, locator, *, navigates: bool) -> None:
        if navigates:
            # The load event, not expect_navigation: static/form.js replaces the history
            # entry as the form leaves, a same-document navigation Playwright would take.
            with self.page.expect_event("load"):
                locator.tap()
        else:
            locator.tap()
        self.counts.taps += 1

    def child(self, index: int, values: dict[str, str]) -> None:
        prefix = f"#children-{index}-"
        self.type(prefix + "first_name", values["first_name"])
        self.type(prefix + "last_name", values["last_name"])
        for part in ("day", "month", "year"):
            self.type(f"{prefix}birth_date-{part}", values[part])
        self.choose(prefix + "school", values["school"])
        self.choose(prefix + "class_level", values["class_level"])

    def add_child(self) -> None:
        """Whatever this checkout offers: a folded place (no load) or a submit button."""
        folded = self.page.locator("summary", has_text="Ajouter un enfant")
        if folded.count():
            self.press(folded.first, navigates=False)
        else:
            button = self.page.get_by_role("button", name="Ajouter un enfant", exact=True)
            self.press(button, navigates=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(port: int, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped: {server.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def measure(base: str) -> Counts:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_context(**PHONE).new_page()
            page.goto(base + "/demande")
            parent = Parent(page)
            parent.counts.page_loads = 1  # the blank form itself
            parent.child(0, CHILDREN[0])
            parent.add_child()
            parent.child(1, CHILDREN[1])
            for name, value in FAMILY.items():
                parent.type(f"#{name}", value)
            parent.tick("input[name=domains][value=school]")
            parent.tick("input[name=domains][value=attendance]")
            parent.tick("#consent")
            check = page.get_by_role("button", name="Vérifier ma demande", exact=True)
            parent.press(check, navigates=True)
            if page.locator(".error-summary").count():
                raise SystemExit(page.locator(".error-summary").inner_text())
            send = page.get_by_role("button", name="Envoyer ma demande", exact=True)
            parent.press(send, navigates=True)
            page.wait_for_load_state("load")
            if not page.url.endswith("/confirmation"):
                raise SystemExit(f"not sent: {page.url}")
            return parent.counts
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout whose code runs")
    root = parser.parse_args().root.resolve()
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/phone.sqlite3"
        territory = Path(folder) / "territory.toml"
        territory.write_text(one_commune((ROOT / "tests" / "territory.toml").read_text()))
        env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
        server = subprocess.Popen(  # noqa: S603 (our own interpreter and script)
            [sys.executable, "-c", SERVER, url, str(port), str(territory)],
            cwd=root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(port, server)
            counts = measure(f"http://127.0.0.1:{port}")
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(json.dumps({"root": str(root), **asdict(counts)}))


if __name__ == "__main__":
    main()
