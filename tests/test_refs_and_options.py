"""Issue 16 point 11: one rule for refs typed in other scripts, and `sli` options whose value starts with `-`.

Refs: every Unicode decimal digit and the full-width (NFKC) forms read as their ASCII selves, so `L٧` (Arabic-
Indic seven) and `Ｌ７` (full-width) are L7 in the command line, the Slack bot, and a Ref cell of the workbook (a
`ref_format` warning there, as `l07` gets). Options: `sli update L7 --next -1+1` stores `-1+1` as text.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from slack_standin import BoltHTTP, SlackStandIn

import sli
from bot.app import Settings, create_app
from bot.http_server import serve_in_thread
from shared.domain import schema as s

ROOT = Path(__file__).resolve().parents[1]
SECRET = "test-signing-secret"
READER = "U07SLI0012"   # Anita Patel, lead of ELHT: anyone may ask for a status
L7_LEAD = "U07SLI0002"  # Joanne Whitworth, lead of BwD Council Public Health (L7's lead organisation)

#: Ways of typing L7 on a phone or with another keyboard: each must read as L7.
SEVEN = ["L\u0667",                # L٧: Arabic-Indic digit seven
         "\uff2c\uff17",           # Ｌ７: full-width
         "\uff4c\uff10\uff17",     # ｌ０７
         "\uff03\uff17",           # ＃７
         "\uff17",                 # ７
         "L\u096d",                # L७: Devanagari
         "L\u06f7",                # L۷: extended Arabic-Indic (Persian, Urdu)
         "l\u0660\u0667",          # l٠٧
         "\u0667"]                 # ٧


def run_sli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = sli.main(list(argv))
    return code, out.getvalue()


def l7_row(workbook: Path) -> tuple:
    return next(r for r in openpyxl.load_workbook(workbook)[s.MAIN_SHEET].iter_rows(min_row=4)
                if r[0].value == "L7")


@pytest.mark.parametrize("typed", SEVEN + ["L7", "7", "l07", "#7"])
def test_normalise_ref_reads_every_script_as_l7(typed: str) -> None:
    assert s.normalise_ref(typed) == "L7"


@pytest.mark.parametrize("typed, ascii", [("L\u0667\u0667", "L77"), ("\uff2c\uff10", "L0"), ("L7x", "L7x"),
                                          ("\u2167", "VIII"), ("\uff2c\uff11\uff12\uff13\uff14", "L1234")])
def test_other_scripts_are_read_as_their_ascii_twins_even_when_wrong(typed: str, ascii: str) -> None:
    """L٧٧ reads as L77 (then "there is no L77"), Ｌ０ is refused as L0 is; Ⅷ (a Roman numeral) is no digit."""
    def outcome(text: str) -> str:
        try:
            return s.normalise_ref(text)
        except s.RefError:
            return "refused"
    assert outcome(typed) == outcome(ascii)


# --- the command line ----------------------------------------------------------------------------------

@pytest.mark.parametrize("typed", SEVEN)
def test_sli_status_gives_the_same_answer_for_l7_in_any_script(workbook: Path, typed: str) -> None:
    expected = run_sli("status", "L7", "--workbook", str(workbook))
    assert expected[0] == 0 and expected[1].startswith("Ref: L7")
    assert run_sli("status", typed, "--workbook", str(workbook)) == expected


def test_sli_update_of_l7_typed_full_width_updates_l7(workbook: Path) -> None:
    code, out = run_sli("update", "\uff2c\uff17", "--status", "On track", "--by", "Helen Lowey",
                        "--workbook", str(workbook))
    assert code == 0, out
    assert "L7 updated" in out and l7_row(workbook)[5].value == "On track"


def test_a_ref_cell_written_in_another_script_gets_the_ref_format_warning(workbook: Path) -> None:
    """In the workbook: `L٧` and `Ｌ７` in Ref cells are warnings, as `l07` is (not a missing or invalid ref)."""
    book = openpyxl.load_workbook(workbook)
    sheet = book[s.MAIN_SHEET]
    cells = {"L7": "L\u0667", "L8": "\uff2c\uff18", "L9": "l09"}
    addresses = {}
    for row in sheet.iter_rows(min_row=4):
        if row[0].value in cells:
            addresses[row[0].coordinate] = row[0].value
            row[0].value = cells[row[0].value]
    book.save(workbook)
    code, out = run_sli("validate", str(workbook))
    assert code == 0, out
    findings = [line for line in out.splitlines() if ": warning: Ref " in line]
    assert findings == [f"{ref} Ref: warning: Ref '{cells[ref]}' should be written {ref}."
                        for ref in addresses.values()]


# --- the Slack bot over HTTP -----------------------------------------------------------------------------

@pytest.fixture
def bot(workbook: Path):
    with SlackStandIn() as standin:
        settings = Settings(bot_token="xoxb-test", signing_secret=SECRET, api_url=standin.base_url,
                            workbook=workbook, poll_seconds=3600)
        server = serve_in_thread(create_app(settings))
        try:
            yield BoltHTTP(f"http://127.0.0.1:{server.server_port}/slack/events", SECRET, standin=standin)
        finally:
            server.shutdown()


def test_the_bot_gives_the_same_answer_for_l7_in_any_script(bot: BoltHTTP) -> None:
    asked = ["status L7", "status L\u0667", "status \uff2c\uff17", "status\u3000\uff2c\uff17", "L\u0667"]
    for text in asked:
        assert bot.command(text=text, user_id=READER)[0] == 200
    answers = [{k: v for k, v in call["args"].items() if k != "_key"}  # the stand-in's name for each response_url
               for call in bot.standin.wait_for("response_url", count=len(asked))]
    assert answers[0]["text"].startswith("L7 (") and answers[0]["blocks"]
    assert all(answer == answers[0] for answer in answers)


def test_the_bot_updates_l7_typed_full_width(bot: BoltHTTP, workbook: Path) -> None:
    status, body = bot.command(text='update\u3000\uff2c\uff17\u3000status="On track"', user_id=L7_LEAD)
    assert status == 200 and "Recorded your update to L7" in body
    assert "L7 updated" in bot.standin.wait_for("response_url")[-1]["args"]["text"]
    assert l7_row(workbook)[5].value == "On track"


# --- option values starting with '-' --------------------------------------------------------------------

def test_next_steps_starting_with_a_minus_is_stored_as_text_with_a_warning(workbook: Path) -> None:
    code, out = run_sli("update", "L7", "--next", "-1+1", "--summary", "-x", "--by", "Helen Lowey",
                        "--workbook", str(workbook))
    assert code == 0, out
    assert "L7 Next steps: warning: Next steps starts with '-'" in out
    assert "L7 Summary of status: warning: Summary of status starts with '-'" in out
    row = l7_row(workbook)
    for cell, value in ((row[7], "-1+1"), (row[6], "-x")):
        assert cell.value == value and cell.data_type == "s" and cell.quotePrefix


def test_sli_as_a_process_takes_a_value_starting_with_a_minus(workbook: Path) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "sli.py"), "update", "L7", "--next", "-1+1", "--by",
                           "Helen Lowey", "--workbook", str(workbook)], capture_output=True, text=True, timeout=60,
                          cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "formula" in done.stdout and "L7 updated" in done.stdout
    assert l7_row(workbook)[7].value == "-1+1"


def test_an_option_after_an_option_is_still_a_missing_value(workbook: Path) -> None:
    """`--summary --by Helen`: `--by` is an option of sli, so --summary has no value (argparse's usage error)."""
    before = workbook.read_bytes()
    with pytest.raises(SystemExit) as stopped, contextlib.redirect_stderr(io.StringIO()) as err:
        sli.main(["update", "L7", "--summary", "--by", "Helen Lowey", "--workbook", str(workbook)])
    assert stopped.value.code == 2 and "--summary: expected one argument" in err.getvalue()
    assert workbook.read_bytes() == before


@pytest.mark.parametrize("argv, joined", [
    (["update", "L7", "--next", "-1+1"], ["update", "L7", "--next=-1+1"]),
    (["update", "L7", "--due", "-", "--by", "-me"], ["update", "L7", "--due=-", "--by=-me"]),
    (["update", "L7", "--next", "plain"], ["update", "L7", "--next", "plain"]),
    (["update", "L7", "--summary", "--status", "x"], ["update", "L7", "--summary", "--status", "x"]),
    (["update", "L7", "--summary", "--status=x"], ["update", "L7", "--summary", "--status=x"]),
    (["update", "--", "--next", "-x"], ["update", "--", "--next", "-x"]),
    (["list", "--lead", "-ELHT"], ["list", "--lead=-ELHT"]),
])
def test_join_dash_values(argv: list[str], joined: list[str]) -> None:
    assert sli.join_dash_values(sli.build_parser(), argv) == joined
