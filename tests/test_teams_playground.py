"""The Teams bot with a real client: Microsoft 365 Agents Playground (npm `@microsoft/m365agentsplayground`,
pinned below), its web page driven by headless Chromium (Debian's, through Playwright's executable_path).

The Playground plays Teams and its connector: it sends the bot what a person types or presses, and shows
what the bot posts, proactive posts included. It is Microsoft's test tool under pre-release evaluation
terms: installed for tests into .venv/teams-playground (ignored by git), never shipped. Everything
listens on 127.0.0.1 (the Playground is made to, by tests/playground/loopback.cjs).

Skipped with a reason when node, the Playground or Chromium is missing, unless
SLI_REQUIRE_TEAMS_PLAYGROUND=1 (set by .ci/run once it has installed them).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.scheduler import post_summary_to
from bot.teams.app import Running, TeamsBot
from shared.domain import schema as s
from shared.reader import read_appendix, read_change_log
from shared.settings import Settings
from shared.usecases import Store

ROOT = Path(__file__).resolve().parents[1]
PLAYGROUND_VERSION = "0.2.28"
PLAYGROUND_DIR = ROOT / ".venv" / "teams-playground"
CLI = PLAYGROUND_DIR / "node_modules" / "@microsoft" / "m365agentsplayground" / "cli.js"
LOOPBACK_JS = Path(__file__).resolve().parent / "playground" / "loopback.cjs"
CONFIG = Path(__file__).resolve().parent / "playground" / "m365agentsplayground.yml"
CHROMIUM = Path(os.environ.get("SLI_CHROMIUM", "/usr/bin/chromium"))
LAUNCH_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]
REQUIRED = os.environ.get("SLI_REQUIRE_TEAMS_PLAYGROUND") == "1"


def _missing() -> str | None:
    node = shutil.which("node")
    if node is None:
        return "node is not installed (the Agents Playground runs on Node.js)"
    if not CLI.exists():
        return (f"the Agents Playground is not installed: npm install --prefix {PLAYGROUND_DIR.relative_to(ROOT)} "
                f"@microsoft/m365agentsplayground@{PLAYGROUND_VERSION} (.ci/run does)")
    if not CHROMIUM.exists():
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (make setup installs the dev extras)"
    return None


MISSING = _missing()
if MISSING and REQUIRED:
    raise RuntimeError(f"SLI_REQUIRE_TEAMS_PLAYGROUND=1 but {MISSING}.")
pytestmark = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Playground:
    """The Playground as a child process (its own folder for the config and log), on 127.0.0.1."""

    def __init__(self, bot_url: str, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(CONFIG, folder / ".m365agentsplayground.yml")
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        env = {**os.environ, "TEAMSAPPTESTER_BROWSER": "none", "M365_AGENTS_PLAYGROUND_LOGFILE": str(folder / "log")}
        self.process = subprocess.Popen(
            ["node", "--require", str(LOOPBACK_JS), str(CLI), "-e", bot_url, "-c", "msteams", "-p", str(self.port),
             "--service-url", f"http://127.0.0.1:{self.port}/_connector", "--disable-telemetry"],
            cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if f"Listening on {self.port}" in line:
                return
            if self.process.poll() is not None:
                break
        self.stop()
        raise RuntimeError(f"the Agents Playground did not start: {line}")

    def listening_only_on_loopback(self) -> bool:
        """Nothing answers on this machine's other addresses (the preload bound it to 127.0.0.1)."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outward address
                address = probe.getsockname()[0]
            except OSError:
                return True
        if address.startswith("127."):
            return True
        with socket.socket() as sock:
            sock.settimeout(1)
            return sock.connect_ex((address, self.port)) != 0

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def world(workbook: Path, tmp_path: Path) -> Iterator[tuple[Running, Playground]]:
    running = Running(TeamsBot(Settings(workbook=workbook, poll_seconds=3600), local=True))
    playground = Playground(running.url, tmp_path / "playground")
    try:
        yield running, playground
    finally:
        playground.stop()
        running.stop()


@pytest.fixture
def page(world):
    from playwright.sync_api import sync_playwright

    _, playground = world
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(15_000)
        page.goto(playground.url, wait_until="networkidle")
        yield page
        browser.close()


def _wait_for(condition, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _say(page, text: str) -> None:
    box = page.get_by_role("textbox").first
    box.click()
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def test_a_partner_lead_in_the_playground(world, page, workbook: Path) -> None:
    """Ask, update by the card, be refused inline, and see the monthly summary arrive in the team."""
    running, playground = world
    assert playground.listening_only_on_loopback()
    row = read_appendix(workbook).rows["L7"]

    # A question in the personal chat (the Playground's user is Sana Iqbal, an officer, by Entra object ID).
    page.get_by_text("Personal Chat", exact=True).first.click()
    _say(page, "status 7")
    page.locator(".ac-adaptiveCard").filter(has_text=str(row[s.RECOMMENDATION])[:60]).wait_for()
    assert page.locator(".ac-adaptiveCard").last.get_by_text(str(row[s.NEXT_STEPS])).count() == 1

    # The update form, prefilled from the workbook; a new next step saved through the card.
    _say(page, "update 7")
    form = page.locator(".ac-adaptiveCard").filter(has_text="Update L7").last
    form.get_by_role("button", name="Save").wait_for()
    assert form.get_by_label("Next steps").input_value() == row[s.NEXT_STEPS]
    form.get_by_label("Next steps").fill("Interim cover agreed with the health visiting team")
    form.get_by_role("button", name="Save").click()
    page.locator("strong").filter(has_text="L7 updated.").wait_for()
    after = read_appendix(workbook).rows["L7"]
    assert after[s.NEXT_STEPS] == "Interim cover agreed with the health visiting team"
    assert after.status == row.status and after[s.UPDATED_BY] == "Sana Iqbal"
    [logged] = [e for e in read_change_log(workbook) if e.ref == "L7"]
    assert (logged.field, logged.via) == (s.NEXT_STEPS, "Teams")

    # A refusal is shown in the form itself, beside the field; nothing is written.
    before = workbook.read_bytes()
    _say(page, "update 7")
    form = page.locator(".ac-adaptiveCard").filter(has_text="Update L7").last
    form.get_by_role("button", name="Save").wait_for()
    form.get_by_label("Next steps").fill("")
    form.get_by_role("button", name="Save").click()
    page.get_by_text("Next steps are empty").wait_for()
    assert workbook.read_bytes() == before

    # The app added to the team: the monthly summary is posted there, once, by the scheduler's Teams side.
    page.get_by_text("General", exact=True).first.click()
    store = Store.for_workbook(workbook)
    # The Playground installed the app in its team when the page opened (installationUpdate): kept. Forget it,
    # then add the app to the team by hand (conversationUpdate, the bot among the members added).
    assert _wait_for(lambda: store.journal().conversations("team")), "the installation in the team was not kept"
    store.journal().forget_conversation("team:team-id")
    page.get_by_text("Mock an Activity").click()
    page.get_by_text("Add application").click()
    page.get_by_role("button", name="Send activity").click()
    assert _wait_for(lambda: store.journal().conversations("team")), "adding the app to the team was not kept"
    now = datetime.now(UTC)
    outcome = post_summary_to(store, running.bot.destination(), now.year, now.month)
    assert outcome.posted, outcome.message
    month = now.strftime("%B %Y")
    page.get_by_text(f"SLI infant mortality: {month}").wait_for()
    assert page.locator("img[src^='data:image/png;base64,']").count() >= 1  # the chart, inside the card
    if os.environ.get("SLI_TEAMS_SCREENSHOT"):  # the README's picture
        page.locator(".ac-adaptiveCard").filter(has_text="SLI infant mortality").last.screenshot(
            path=os.environ["SLI_TEAMS_SCREENSHOT"])
    assert not post_summary_to(store, running.bot.destination(), now.year, now.month).posted
