"""A slow Slack or Teams never holds a write back (issue 16, point 4, as reviewed): a notifier's pass writes
on the bot's writer thread (still the only writer in the process) and tells the senders from its own
thread. Held updates are told through a chat service that takes 3 s a post while a new update arrives:
the new one is written at once, not after every post (before: 4 held updates, 12 s).

The real Bolt app over HTTP against the Slack stand-in, and the real Teams app against the connector
stand-in, each with its own writer thread and the notifier started as `sli bot` / `sli teams` start it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import teams_standin as ts
from slack_standin import BoltHTTP, SlackStandIn

from bot.app import Settings, create_app
from bot.http_server import serve_in_thread
from bot.notifier import Notifier
from bot.teams.app import Running, TeamsBot, TeamsNotifier
from bot.writer import UpdateWriter
from shared import journal as j
from shared.domain import schema as s
from shared.owner import write_owner_file
from shared.reader import read_appendix
from shared.settings import Settings as CoreSettings
from shared.usecases import Store

SECRET = "test-signing-secret"
OFFICER = "U07SLI0006"     # Sana Iqbal, officer: may update any recommendation
ELHT_LEAD = "U07SLI0012"   # Anita Patel, lead of ELHT (L1)
OFFICER_AAD = "5e1a0c3d-7b2f-4e81-9c4a-000000000006"
ELHT_LEAD_AAD = "5e1a0c3d-7b2f-4e81-9c4a-000000000012"
HELD = ["L2", "L3", "L4", "L5"]
SLOW_POST = 3.0            # seconds a post to the held senders takes
WRITTEN_WITHIN = 1.5       # seconds from the new update's request to its being in the workbook


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> float:
    """Seconds until `check()` held, polled every 20 ms; AssertionError after `timeout`."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < timeout, f"{what}: not within {timeout:.1f} s"
        time.sleep(0.02)
    return time.monotonic() - started


def applied(store: Store, ref: str) -> Callable[[], bool]:
    journal = store.journal()
    return lambda: [e.state for e in journal.for_ref(ref)] == [j.APPLIED]


def test_a_slow_slack_telling_held_senders_does_not_hold_a_new_update(workbook: Path) -> None:
    with SlackStandIn() as standin:
        settings = Settings(bot_token="xoxb-test", signing_secret=SECRET, api_url=standin.base_url,
                            workbook=workbook, poll_seconds=3600)
        store = settings.store()
        writer = UpdateWriter(store)
        app = create_app(settings, writer=writer)
        server = serve_in_thread(app)
        http = BoltHTTP(f"http://127.0.0.1:{server.server_port}/slack/events", SECRET, standin=standin)
        notifier = Notifier(store, app.client, settings.poll_seconds, writer=writer)
        try:
            owner = write_owner_file(workbook, "Helen Lowey")
            for n, ref in enumerate(HELD, 1):  # held while Excel has the file; each sender hears so
                assert http.command(text=f'update {ref} next="Held step {n}"', user_id=OFFICER)[0] == 200
                assert "not yet in the workbook" in standin.wait_for("response_url", count=n)[-1]["args"]["text"]
            owner.unlink()
            standin.delay("chat.postMessage", SLOW_POST)
            notifier.catch_up()  # as `sli bot` starts: the waiting updates are written, their senders told
            notifier.start()
            standin.wait_for("chat.postMessage", timeout=30)  # the first held sender is being told, slowly
            sent = time.monotonic()
            status, _ = http.command(text='update 1 next="Book the audit"', user_id=ELHT_LEAD,
                                     response_url=standin.response_url("new"))
            assert status == 200
            took = wait_until(applied(store, "L1"), WRITTEN_WITHIN + sent - time.monotonic(), "the new update written")
            print(f"\nnew update written {time.monotonic() - sent:.2f} s after it was sent "
                  f"({took:.2f} s polling), held senders told at {SLOW_POST:.0f} s a post")
            assert read_appendix(workbook).rows["L1"][s.NEXT_STEPS] == "Book the audit"
            # Every held sender is still told, once each, with their outcome.
            told = [c["args"] for c in standin.wait_for("chat.postMessage", count=len(HELD),
                                                         timeout=len(HELD) * SLOW_POST + 30)]
            assert sorted(t["text"].split(" updated")[0].split()[-1] for t in told) == HELD
            assert {t["channel"] for t in told} == {OFFICER}
            assert {e.state for e in store.journal().in_states(j.APPLIED)} == {j.APPLIED}
        finally:
            notifier.stop()
            server.shutdown()
            server.server_close()
            writer.shutdown()
        assert len(standin.calls("chat.postMessage")) == len(HELD)


def test_a_slow_teams_connector_telling_held_senders_does_not_hold_a_new_update(workbook: Path) -> None:
    standin = ts.ConnectorStandIn()
    bot = TeamsBot(CoreSettings(workbook=workbook, poll_seconds=3600), local=True)
    running = Running(bot)
    notifier = TeamsNotifier(bot.store, bot.messenger, 3600, writer=bot.writer)
    try:
        owner = write_owner_file(workbook, "Helen Lowey")
        for n, ref in enumerate(HELD, 1):  # from Sana's personal chat, held while Excel has the file
            mark = standin.mark()
            response = ts.post(running.url, ts.activity(standin, ts.user(OFFICER_AAD), text=f'update {ref} '
                                                        f'next="Held step {n}"', conversation="a:sana-chat"))
            assert response.status_code in (200, 202), response.text
            assert any("not yet in the workbook" in m.get("text", "") for m in standin.wait_for(2, start=mark))
        owner.unlink()
        standin.delays["a:sana-chat"] = SLOW_POST
        mark = standin.mark()
        notifier.catch_up()
        notifier.start()
        standin.wait_for(1, start=mark, timeout=30)  # the first held sender is being told, slowly
        sent = time.monotonic()
        response = ts.post(running.url, ts.activity(standin, ts.user(ELHT_LEAD_AAD), text='update 1 '
                                                    'next="Book the audit"', conversation="a:anita-chat"))
        assert response.status_code in (200, 202), response.text
        wait_until(applied(Store.for_workbook(workbook), "L1"), WRITTEN_WITHIN + sent - time.monotonic(),
                   "the new update written")
        assert read_appendix(workbook).rows["L1"][s.NEXT_STEPS] == "Book the audit"
        def to_sana() -> list[dict]:
            return [m for m in standin.messages(mark) if m["conversation"]["id"] == "a:sana-chat"]
        wait_until(lambda: len(to_sana()) >= len(HELD), len(HELD) * SLOW_POST + 30, "every held sender told")
        assert sorted(m["text"].split(" updated")[0].split("**")[-1] for m in to_sana()) == HELD, to_sana()
    finally:
        notifier.stop()
        running.stop()
        standin.close()
