"""The monthly summary and reminders: figures agree with the workbook and the Change log; posted once
per month however often triggered (twice, after a restart, from two processes); the chart is uploaded;
reminders go only to leads with stale items, once each."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from slack_sdk import WebClient
from slack_standin import SlackStandIn

import sli
from bot.scheduler import REMINDER, SUMMARY, MonthlyJobs, post_summary, send_reminders
from shared import summary as sm
from shared.domain import schema as s
from shared.usecases import Store, submit_update

ROOT = Path(__file__).resolve().parents[1]
THIS_MONTH = (datetime.now(UTC).year, datetime.now(UTC).month)


def test_calendar_counts_english_bank_holidays() -> None:
    assert sm.first_working_day(2027, 1) == date(2027, 1, 4)      # New Year's Day Friday, then a weekend
    assert sm.first_working_day(2027, 5) == date(2027, 5, 4)      # early May bank holiday Monday
    assert sm.first_working_day(2026, 12) == date(2026, 12, 1)
    assert sm.reminder_day(2026, 11) == date(2026, 11, 24)        # five working days before 1 December
    # Before 4 January: skips New Year, the weekend, Boxing Day (Monday 28th in lieu) and Christmas.
    assert sm.reminder_day(2026, 12) == date(2026, 12, 23)
    due = sm.summary_time(2026, 11)
    assert sm.month_to_summarise(due - timedelta(minutes=1)) is None
    assert sm.month_to_summarise(due) == (2026, 11)
    assert sm.month_to_summarise(due + timedelta(days=20)) == (2026, 11)
    with pytest.raises(ValueError, match="2026-11"):
        sm.parse_month("Nov")


def test_figures_agree_with_workbook_and_change_log(workbook: Path) -> None:
    store = Store.for_workbook(workbook)
    assert submit_update(store, "L7", {s.STATUS: "On track", s.NEXT_STEPS: "Recruit"}, by="A", via="CLI").state \
        == "applied"
    assert submit_update(store, "L2", {s.STATUS: "Complete", s.SUMMARY: "Service commissioned",
                                       s.EVIDENCE: "Contract award notice"}, by="B",
                         via="Slack").state == "applied"
    figures = sm.compute_figures(store, *THIS_MONTH)

    ws = openpyxl.load_workbook(workbook)[s.MAIN_SHEET]
    statuses = [row[5].value for row in ws.iter_rows(min_row=4) if row[0].value]
    assert figures.counts == {status: statuses.count(status) for status in s.STATUSES}
    assert sum(figures.counts.values()) == 22
    log = openpyxl.load_workbook(workbook)[s.LOG_SHEET]
    assert len(figures.changes) == log.max_row - 1 == 5  # with the evidence of L2's Complete
    assert {(c.ref, c.field, c.new) for c in figures.changes if c.field == s.STATUS} == {
        ("L7", s.STATUS, "On track"), ("L2", s.STATUS, "Complete")}
    today = datetime.now(UTC).date()
    overdue = {row[0].value for row in ws.iter_rows(min_row=4) if row[0].value and row[8].value
               and row[8].value.date() < today and row[5].value != "Complete"}
    assert {i.ref for i in figures.overdue} == overdue
    assert sum(sum(v.values()) for v in figures.by_lead.values()) == 22
    assert sm.status_chart(figures).startswith(b"\x89PNG")


@pytest.fixture
def slack():
    with SlackStandIn() as standin:
        yield standin, WebClient(token="xoxb-test", base_url=standin.base_url)


def _after_summary_time(year: int, month: int, minutes: int = 30) -> datetime:
    return sm.summary_time(year, month) + timedelta(minutes=minutes)


def test_summary_posts_once_even_when_triggered_twice_and_after_restart(workbook: Path, slack) -> None:
    standin, client = slack
    store = Store.for_workbook(workbook)
    now = _after_summary_time(*THIS_MONTH)
    first = post_summary(store, client, "C_SLI", *THIS_MONTH, now=now)
    second = post_summary(store, client, "C_SLI", *THIS_MONTH, now=now)
    assert first.posted and not second.posted and "already posted" in second.message
    [post] = standin.calls("chat.postMessage")
    assert post["args"]["channel"] == "C_SLI" and "SLI infant mortality" in post["args"]["text"]
    [complete] = standin.calls("files.completeUploadExternal")
    assert complete["args"]["channel_id"] == "C_SLI"
    assert list(standin.uploads.values())[0].startswith(b"\x89PNG")
    # Two charts in the one upload: the month by lead organisation, and the months before beside it.
    assert len(standin.uploads) == 2 and all(png.startswith(b"\x89PNG") for png in standin.uploads.values())

    # A restart: a new scheduler whose catch-up tick runs at start finds it posted.
    jobs = MonthlyJobs(Store.for_workbook(workbook), client, "C_SLI")
    assert jobs.tick(now + timedelta(hours=2)) == []
    assert len(standin.calls("chat.postMessage")) == 1

    # The figures are reproduced from the snapshot exactly as posted, though the workbook changed since.
    submit_update(store, "L1", {s.STATUS: "Complete", s.SUMMARY: "Done"}, by="A", via="CLI")
    assert sm.month_figures(store, *THIS_MONTH).counts == sm.MonthFigures.from_json(
        store.journal().snapshot(sm.month_key(*THIS_MONTH))).counts
    assert f"On track {sm.month_figures(store, *THIS_MONTH).counts['On track']}" in post["args"]["text"]

    # --again posts once more, on purpose.
    assert post_summary(store, client, "C_SLI", *THIS_MONTH, again=True, now=now).posted
    assert len(standin.calls("chat.postMessage")) == 2


def test_catch_up_after_downtime_posts_once(workbook: Path, slack) -> None:
    standin, client = slack
    jobs = MonthlyJobs(Store.for_workbook(workbook), client, "C_SLI")
    down_until = _after_summary_time(*THIS_MONTH, minutes=26 * 60)  # bot was down at 09:00
    assert jobs.tick(sm.summary_time(*THIS_MONTH) - timedelta(minutes=5)) == []
    assert len(jobs.tick(down_until)) == 1
    assert jobs.tick(down_until + timedelta(minutes=1)) == []
    assert len(standin.calls("chat.postMessage")) == 1


POST = """
import sys
from slack_sdk import WebClient
from bot.scheduler import post_summary
from shared.usecases import Store
workbook, base_url, year, month = sys.argv[1:5]
outcome = post_summary(Store.for_workbook(workbook), WebClient(token="x", base_url=base_url), "C_SLI",
                       int(year), int(month))
print("posted" if outcome.posted else "skipped")
"""


def test_two_processes_post_once(workbook: Path, slack) -> None:
    standin, _ = slack
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", POST, str(workbook), standin.base_url, *map(str, THIS_MONTH)],
                              env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
    outs = sorted(p.communicate(timeout=120)[0].decode().strip() for p in procs)
    assert outs == ["posted", "skipped", "skipped", "skipped"]
    assert len(standin.calls("chat.postMessage")) == 1


def test_reminders_go_to_stale_leads_once(workbook: Path, slack) -> None:
    standin, client = slack
    store = Store.for_workbook(workbook)
    # ELHT brings every one of its recommendations up to date this month.
    wb = openpyxl.load_workbook(workbook)
    elht_refs = [row[0].value for row in wb[s.MAIN_SHEET].iter_rows(min_row=4)
                 if row[0].value and "ELHT" in (row[3].value or "")]
    for ref in elht_refs:
        assert submit_update(store, ref, {s.NEXT_STEPS: f"Reviewed {ref}"}, by="Anita Patel",
                             via="Slack").state == "applied"

    wb = openpyxl.load_workbook(workbook)
    month_start = date(*THIS_MONTH, 1)
    stale_orgs = {row[3].value for row in wb[s.MAIN_SHEET].iter_rows(min_row=4)
                  if row[0].value and row[5].value != "Complete"
                  and (row[9].value is None or row[9].value.date() < month_start)}
    expected = {row[2].value for row in wb[s.LEADS_SHEET].iter_rows(min_row=2)
                if row[3].value == "lead" and row[0].value in stale_orgs}
    assert "ELHT" not in " ".join(stale_orgs) and expected

    assert send_reminders(store, client, *THIS_MONTH) == len(expected)
    assert send_reminders(store, client, *THIS_MONTH) == 0
    posts = standin.calls("chat.postMessage")
    assert {p["args"]["channel"] for p in posts} == expected
    sample = posts[0]["args"]
    assert any(b.get("accessory", {}).get("action_id") == "open_update" for b in sample["blocks"])
    assert store.journal().posted(REMINDER, f"{sm.month_key(*THIS_MONTH)}:{posts[0]['args']['channel']}")
    assert store.journal().posted(SUMMARY, sm.month_key(*THIS_MONTH)) is None


def test_tick_on_reminder_day_sends_reminders(workbook: Path, slack) -> None:
    standin, client = slack
    jobs = MonthlyJobs(Store.for_workbook(workbook), client, "")
    day = sm.reminder_day(*THIS_MONTH)
    at_nine = datetime(day.year, day.month, day.day, 9, 5, tzinfo=sm.LONDON)
    assert jobs.tick(at_nine - timedelta(days=1)) == []
    [said] = jobs.tick(at_nine)
    assert said.endswith("reminders sent.") and not said.startswith(("0 ", "1 "))
    count = len(standin.calls("chat.postMessage"))
    assert jobs.tick(at_nine + timedelta(hours=1)) == ["0 reminders sent."]
    assert len(standin.calls("chat.postMessage")) == count


def test_cli_summary_dry_run(workbook: Path, tmp_path: Path, capsys) -> None:
    chart = tmp_path / "chart.png"
    assert sli.main(["summary", "--month", "2026-10", "--dry-run", "--chart", str(chart),
                     "--workbook", str(workbook)]) == 0
    out = capsys.readouterr().out
    assert "SLI infant mortality: October 2026" in out
    assert chart.read_bytes().startswith(b"\x89PNG")
    assert sli.main(["summary", "--month", "Octember", "--workbook", str(workbook)]) == sli.EXIT_USAGE
