"""Issue 20, points 6 and 7, through the real front ends: one voice (counts in English, findings named by
recommendation and field, times in UK time with the zone named, dates and months as people write them, "at
risk" questions that include Off track, a console without Slack markup) and quiet by default (no library
INFO lines, no warning per Teams message, unless `--verbose`)."""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import docx
import pytest
import teams_standin as ts
from test_bot import ELHT_LEAD as SLACK_ELHT_LEAD
from test_bot import _harness as slack_harness
from test_teams import ELHT_LEAD as TEAMS_ELHT_LEAD
from test_teams import Harness as TeamsHarness
from test_teams import card_of, texts, unescaped

import sli
from bot import blocks
from bot.console import run_console
from shared.domain import schema as s
from shared.domain.update import UpdateRequest
from shared.owner import write_owner_file
from shared.reader import read_appendix
from shared.usecases import Store, context, fixed_clock, month_figures, replies, submit, submit_update

ROOT = Path(__file__).resolve().parents[1]
L7_LEAD = "U07SLI0002"  # Joanne Whitworth: leads BwD Council Public Health, L7's organisation
#: What `sli` used to print for a count: "1 change(s)", "0 error(s)".
HEDGED = re.compile(r"\b\w+\(s\)")
#: Slack's markup, as a terminal would show it: emoji names, *bold*, _italics_.
SLACK_MARKUP = re.compile(r":[a-z_]+:|\*[^*\s][^*]*\*|(?<!\w)_[^_\s][^_]*_(?!\w)")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = sli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def console(workbook: Path, *lines: str, user: str = L7_LEAD) -> str:
    out = io.StringIO()
    run_console(Store.for_workbook(workbook), user_id=user, out=out, lines=list(lines))
    return out.getvalue()


def statuses(workbook: Path, *wanted: str) -> list[str]:
    return [row.ref for row in read_appendix(workbook).rows.values() if row.status in wanted]


# --- counts: plural() everywhere ---------------------------------------------------------------------

def test_counts_read_as_english_on_the_command_line_in_the_summary_and_the_report(workbook: Path, tmp_path: Path,
                                                                                  capsys) -> None:
    book = str(workbook)
    code, out, _ = run(capsys, "validate", book)
    assert out.splitlines()[-1] == f"{book}: 0 errors, 1 warning in 22 recommendations."
    write_owner_file(workbook, "Helen Lowey")  # Excel has it open: the update waits
    assert run(capsys, "update", "L7", "--next", "Agree the audit", "--by", "Helen Lowey", "--workbook", book)[0] \
        == sli.EXIT_PENDING
    said = [run(capsys, "pending", "--workbook", book)[1]]
    assert said[0].splitlines()[-1] == "1 update waiting."
    (workbook.parent / f"~${workbook.name}").unlink()
    said.append(run(capsys, "sync", "--workbook", book)[1])
    month = datetime.now(UTC).strftime("%Y-%m")
    code, out, _ = run(capsys, "summary", "--month", month, "--chart", str(tmp_path / "c.png"), "--workbook", book)
    assert code == 0 and "1 change to 1 recommendation" in out
    said.append(out)
    code, out, _ = run(capsys, "export", "changes", "--output", str(tmp_path / "c.csv"), "--workbook", book)
    assert out == f"Wrote 1 row to {tmp_path / 'c.csv'}.\n"
    said.append(out)
    submit_update(Store.for_workbook(workbook), "L7", {s.STATUS: s.COMPLETE, s.SUMMARY: "Done", s.EVIDENCE: "Report"},
                  by="A", via="CLI")
    assert run(capsys, "report", "--output", str(tmp_path / "r.docx"), "--workbook", book)[0] == 0
    document = docx.Document(str(tmp_path / "r.docx"))
    report = "\n".join([p.text for p in document.paragraphs]
                       + [c.text for t in document.tables for row in t.rows for c in row.cells])
    assert "1 recommendation was completed in" in report and "overdue next step" in report
    said.append(report)
    assert [HEDGED.findall(text) for text in said] == [[]] * len(said)


# --- findings: the recommendation and field, not the cell ---------------------------------------------

def test_findings_name_the_recommendation_and_field_not_the_cell(workbook: Path, capsys) -> None:
    l18_due = read_appendix(workbook).locate("L18", s.DUE)  # the cell the issue saw named: I21
    code, out, _ = run(capsys, "validate", str(workbook))
    assert "L18 Next step due: warning: The next step was due on" in out
    assert f"{l18_due}:" not in out
    l21_status = read_appendix(workbook).locate("L21", s.STATUS)
    code, out, _ = run(capsys, "update", "L21", "--status", "Done-ish", "--by", "Helen Lowey",
                       "--workbook", str(workbook))
    assert code == sli.EXIT_FINDINGS
    assert out.startswith("L21 Status: error: 'Done-ish' is not a status.") and f"{l21_status}:" not in out


# --- times: UK time, the zone named --------------------------------------------------------------------

def test_sli_history_and_pending_say_uk_time_and_its_zone(workbook: Path, capsys) -> None:
    summer = context(Store.for_workbook(workbook), fixed_clock(datetime(2026, 7, 1, 9, 5, tzinfo=UTC)))
    assert submit(summer, UpdateRequest("L7", {s.NEXT_STEPS: "Summer plan"}, s.VIA_CLI, by="Helen Lowey")).state \
        == "applied"
    winter = context(Store.for_workbook(workbook), fixed_clock(datetime(2026, 12, 1, 9, 5, tzinfo=UTC)))
    assert submit(winter, UpdateRequest("L7", {s.NEXT_STEPS: "Winter plan"}, s.VIA_CLI, by="Helen Lowey")).state \
        == "applied"
    code, out, _ = run(capsys, "history", "L7", "--workbook", str(workbook))
    lines = out.splitlines()
    assert lines[0].startswith("01/07/2026 10:05 BST  Next steps:") and "'Summer plan'" in lines[0]
    assert lines[1].startswith("01/12/2026 09:05 GMT  Next steps:") and "'Winter plan'" in lines[1]
    write_owner_file(workbook, "Helen Lowey")
    run(capsys, "update", "L7", "--next", "Later", "--by", "Helen Lowey", "--workbook", str(workbook))
    code, out, _ = run(capsys, "pending", "--workbook", str(workbook))
    assert re.search(r"\[pending\] \d\d/\d\d/\d{4} \d\d:\d\d (GMT|BST) by Helen Lowey", out), out
    assert "UTC" not in out and not re.search(r"\d{4}-\d\d-\d\dT", out)


def test_the_summary_says_uk_time_in_slack_and_on_the_command_line(workbook: Path, tmp_path: Path, capsys) -> None:
    ctx = context(Store.for_workbook(workbook))
    figures = month_figures(ctx, 2026, 6, now=datetime(2026, 7, 1, 8, 0, tzinfo=UTC))
    stamp = blocks.render(replies.summary_reply(figures))["blocks"][-1]["elements"][0]["text"]
    assert stamp.startswith("Figures as at 01/07/2026 09:00 BST")
    code, out, _ = run(capsys, "summary", "--month", "2026-06", "--chart", str(tmp_path / "c.png"),
                       "--workbook", str(workbook))
    zone = datetime.now(UTC).astimezone(ZoneInfo("Europe/London")).tzname()
    assert re.search(rf"^Figures as at \d\d/\d\d/\d{{4}} \d\d:\d\d {zone}$", out, re.M), out


def test_a_chat_says_when_excel_opened_the_workbook_in_uk_time(workbook: Path) -> None:
    write_owner_file(workbook, "Helen Lowey")
    said = console(workbook, 'update 7 next="Agree the audit"')
    assert re.search(r"open in Excel by Helen Lowey \(since \d\d/\d\d/\d{4} \d\d:\d\d (GMT|BST)\)", said), said


# --- dates and months as people write them ------------------------------------------------------------

def test_sli_summary_takes_nov_2026_11_2026_and_2026_11(workbook: Path, tmp_path: Path, capsys) -> None:
    printed = []
    for month in ("Nov 2026", "11/2026", "2026-11"):
        code, out, err = run(capsys, "summary", "--month", month, "--chart", str(tmp_path / "c.png"),
                             "--workbook", str(workbook))
        assert (code, err) == (0, ""), err
        printed.append(re.sub(r"Figures as at .*", "", out))
    assert printed[0] == printed[1] == printed[2] and "November 2026" in printed[0]
    code, _, err = run(capsys, "summary", "--month", "Octember", "--workbook", str(workbook))
    assert code == sli.EXIT_USAGE and err.count("\n") == 1 and "write it like Nov 2026" in err


def test_export_from_and_to_take_uk_and_iso_dates(workbook: Path, tmp_path: Path, capsys) -> None:
    submit_update(Store.for_workbook(workbook), "L7", {s.NEXT_STEPS: "Agree the audit"}, by="A", via="CLI")
    today = datetime.now(UTC).date()
    written = {}
    for start, end in ((f"{today:%d/%m/%Y}", f"{today:%d/%m/%Y}"), (today.isoformat(), today.isoformat())):
        out = tmp_path / f"{len(written)}.csv"
        code, said, err = run(capsys, "export", "changes", "--output", str(out), "--from", start, "--to", end,
                              "--workbook", str(workbook))
        assert (code, err) == (0, ""), err
        written[start] = out.read_text(encoding="utf-8")
    assert len(set(written.values())) == 1 and "Agree the audit" in next(iter(written.values()))
    code, _, err = run(capsys, "export", "changes", "--output", str(tmp_path / "x.csv"), "--from", "31/02/2026",
                       "--workbook", str(workbook))
    assert code == sli.EXIT_USAGE and err == "sli: --from: '31/02/2026' is not a real date: check the day and month.\n"


# --- "at risk": Off track included, and said ----------------------------------------------------------

def test_what_is_at_risk_lists_off_track_too_and_says_so(workbook: Path) -> None:
    both = statuses(workbook, s.AT_RISK, s.OFF_TRACK)
    assert statuses(workbook, s.OFF_TRACK)  # the committed workbook has some: L7 and L18
    said = console(workbook, "what is at risk?", "/sli list at risk")
    assert f"Recommendations At risk or Off track ({len(both)}):" in said
    for ref in statuses(workbook, s.OFF_TRACK):
        assert re.search(rf"^{ref} .*: Off track · ", said, re.M)
    # The status filter lists At risk alone and says Off track is not in it.
    assert f"Recommendations At risk, not Off track ({len(statuses(workbook, s.AT_RISK))}):" in said


def test_what_is_at_risk_in_slack_and_teams(workbook: Path) -> None:
    both = statuses(workbook, s.AT_RISK, s.OFF_TRACK)
    for bot in slack_harness(workbook):
        bot.http.event({"type": "message", "channel_type": "im", "channel": "D1", "user": SLACK_ELHT_LEAD,
                        "text": "what is at risk?", "ts": "1.1"}, event_id="Ev1")
        [message] = bot.messages()
        assert message["blocks"][0]["text"]["text"] == f"*Recommendations At risk or Off track* ({len(both)})"
    teams = TeamsHarness(workbook)
    try:
        [reply] = teams.say("what is at risk?", aad=TEAMS_ELHT_LEAD)
        assert unescaped(texts(card_of(reply))[0]) == f"**Recommendations At risk or Off track** ({len(both)})"
    finally:
        teams.close()


# --- the console: plain text ---------------------------------------------------------------------------

def test_the_console_shows_plain_text_without_slack_markup(workbook: Path) -> None:
    said = console(workbook, "/sli help", "/sli status 7", "what is at risk?", "update 7 status=Done",
                   'update 7 status="At risk" next="Agree the audit"', "/sli update 7", "update 7")
    assert "Ask me about the SLI infant mortality recommendations" in said
    assert "L7: not recorded." in said and "Recorded your update to L7" in said and "L7 updated." in said
    assert SLACK_MARKUP.findall(said) == []
    assert "&lt;" not in said and "•" not in said


def test_sli_bot_prints_the_console_as_plain_text(workbook: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    done = subprocess.run([sys.executable, str(ROOT / "sli.py"), "bot", "--workbook", str(workbook),
                           "--as", L7_LEAD], input="/sli help\nupdate 7 next=Audit\n", capture_output=True,
                          text=True, env=env, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "Ask me about the SLI infant mortality recommendations:" in done.stdout and "L7 updated." in done.stdout
    assert SLACK_MARKUP.findall(done.stdout) == []


# --- quiet by default ----------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("verbose", [False, True])
def test_sli_run_prints_no_library_info_lines_unless_verbose(workbook: Path, verbose: bool) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "XLWINGS_", "SLI_"))}
    flags = ["--verbose"] if verbose else []
    run = subprocess.Popen([sys.executable, str(ROOT / "sli.py"), *flags, "run", "--workbook", str(workbook),
                            "--addin-port", str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        out, err = run.communicate("/sli status L12\n", timeout=90)
    finally:
        run.kill()
    assert run.returncode == 0, err[-2000:]
    assert "L12 (" in out  # the console answered: everything started
    if verbose:
        assert "INFO:xlwings_server.main:Running in 'Server' mode." in err
    else:
        assert [line for line in err.splitlines() if line.startswith("INFO")] == [], err


@pytest.mark.parametrize("verbose", [False, True])
def test_the_teams_bot_says_nothing_per_message_unless_verbose(workbook: Path, verbose: bool) -> None:
    port = _free_port()
    flags = ["--verbose"] if verbose else []
    process = subprocess.Popen([sys.executable, str(ROOT / "sli.py"), "teams", "--local", "--port", str(port),
                                "--workbook", str(workbook), *flags], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    standin = ts.ConnectorStandIn()
    try:
        assert "listening on" in process.stdout.readline()
        for text in ("status 7", "status 8"):
            response = ts.post(f"http://127.0.0.1:{port}/api/messages",
                               ts.activity(standin, ts.user(TEAMS_ELHT_LEAD), text=text))
            assert response.status_code == 202
        assert len(standin.wait_for(2)) == 2  # both answered: every log line of their turns is written
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
        standin.close()
    warnings = err.count("App ID is not provided")
    assert warnings == (2 if verbose else 0), err[-2000:]


def test_the_add_in_server_prints_the_addresses_the_readme_gives(workbook: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "XLWINGS_", "SLI_"))}
    process = subprocess.Popen([sys.executable, str(ROOT / "sli.py"), "addin", "--local", "--port", str(port),
                                "--workbook", str(workbook)], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        said = process.stderr.readline()
        scheme = "https" if (ROOT / "excel" / "certs" / "localhost+2.pem").is_file() else "http"
        base = f"{scheme}://127.0.0.1:{port}"
        assert f"task pane {base}/taskpane" in said and f"manifest to sideload {base}/manifest/download" in said
        if scheme == "http":  # the two addresses answer (once uvicorn listens: it says so just after this line)
            deadline = time.monotonic() + 30
            while True:
                try:
                    pane = urllib.request.urlopen(f"{base}/taskpane", timeout=10).read()
                    break
                except OSError:
                    assert time.monotonic() < deadline and process.poll() is None, "sli addin did not listen"
                    time.sleep(0.1)
            assert b"SLI Tracker runs inside Excel" in pane
            assert b"<OfficeApp" in urllib.request.urlopen(f"{base}/manifest/download", timeout=10).read()
    finally:
        process.terminate()
        process.wait(timeout=10)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "https://127.0.0.1:8000/manifest/download" in readme and "`/taskpane`" in readme
    assert "127.0.0.1:8000/manifest`" not in readme and "/manifest)" not in readme
