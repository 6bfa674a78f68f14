"""NHS-number screening (rule `nhs_number`), issue 16 point 7: the shapes that got through, refused by the rules,
by the real command line and by the real Slack bot over HTTP; and a corpus of real-shaped numbers that are not
NHS numbers (phones, dates, times, money, ISBNs, long runs, postcodes) that must never be flagged. After review:
phone numbers broken over two lines and lists of figures (a seeded random corpus) that must not be flagged either,
and the spellings that got past (`94/34/76/59/19`, `Tel 01254 943 476 5919`) that must.

The corpus is built to be hard: most of its entries hold ten digits that pass the modulus-11 check once the
separators are removed (a naive screener would refuse them; `test_the_corpus_would_fool_a_naive_screener` counts
them), so they pass only because the rule reads their shape.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import subprocess
import sys
import unicodedata
from pathlib import Path

import openpyxl
import pytest
from slack_standin import BoltHTTP, SlackStandIn

import sli
from bot.app import Settings, create_app
from bot.http_server import serve_in_thread
from shared.domain import rules
from shared.domain import schema as s

ROOT = Path(__file__).resolve().parents[1]
SECRET = "test-signing-secret"
L7_LEAD = "U07SLI0002"  # Joanne Whitworth, lead of BwD Council Public Health (L7's lead organisation)

#: The issue's shapes of the test number 943 476 5919, and more of the same kind: each must be refused.
NHS_SHAPES = [
    "Seen 943/476/5919 at clinic",
    "943_476_5919",
    "Ref 943,476,5919.",
    "(943) 476 5919",
    "+44 943 476 5919",
    "0044 943 476 5919",
    "+449434765919",
    "+44 (0) 943 476 5919",
    "Baby's number 943 476\n5919 seen",        # split by a line break
    "943\n476\n5919",
    "94\n34765919",                            # a line break anywhere in the number
    "9434-\n765919",                           # hyphenated at the end of a line
    "943\r\n476\r\n5919",
    "943 / 476 / 5919",
    "943 -- 476 -- 5919",
    "943\u3000476\u30005919",                  # ideographic spaces
    "\uff19\uff14\uff13 \uff14\uff17\uff16 \uff15\uff19\uff11\uff19",  # full-width digits
    "\uff19\uff14\uff13\uff14\uff17\uff16\uff15\uff19\uff11\uff19",
    "\uff19\uff14\uff13\uff0f\uff14\uff17\uff16\uff0f\uff15\uff19\uff11\uff19",  # full-width slashes too
    "\u0669\u0664\u0663 \u0664\u0667\u0666 \u0665\u0669\u0661\u0669",  # Arabic-Indic digits
    "L7: 943_476_5919",
    "94/34/76/59/19",                          # pairs with one separator throughout: no list is written so
    "94-34-76-59-19",
    "Tel 01254 943 476 5919",                  # behind an area code: no phone number has fifteen digits
]

#: Real-shaped numbers that are not NHS numbers. Phone numbers use Ofcom's drama ranges or the issue's examples,
#: with the last digit chosen so the ten digits after the 0 (or after +44) pass the modulus-11 check.
NOT_NHS = [
    # UK landlines, eleven digits, as people write them
    "Ring Mary on 01254 222 227", "Call 0161 234 5670", "Switchboard 020 7946 0013", "Office (01254) 585850",
    "Fax 01254-585850", "Cardiff 029 2018 0002", "Helpline 0300 123 4563", "Freephone 0800 123 4568",
    "01254 222 222", "0161 234 5678", "020 7946 0018", "Tel: 01254 263611 / 0161 496 0003",
    "BB2 1LP 01254 585850", "M1 1AE, 0161 496 0003", "Brampton 016977 3450", "Ring 01254 222220\n2027 plan",
    # the same in international form
    "Tel +44 1254 585 850", "+44 1254 585 858", "+44 (0)1254 585850", "+44 161 496 0003",
    "Mobile +44 7700 900 124", "+447700 900124", "0044 20 7946 0013", "0044 (0)161 496 0003",
    "+44 300 123 4563", "+44 800 123 4568", "US office +1 (555) 010-0126", "Paris +33 1 23 45 67 81",
    "Dublin +353 1 234 5679",
    # mobiles
    "Text 07700 900124", "07700 900 124", "07700900124", "07700-900-124", "07700 900123",
    # dates and times
    "31/01/2027", "2027-01-31", "31.01.2027", "Meet 1/1/2027 10:30", "31/01/2027 14:30", "2027-01-31T09:15:00",
    "12/03/2027 to 31/01/2028", "1.1.2027 10.30", "Mon 31/01/2027, 09:00-10:30", "01/02/2027 - 28/02/2027",
    "2026/27 and 2027/28", "from 10:30 to 11:45 on 3/2/2027", "31/01/2027\n14:30",
    "Between 9.30 and 10.45, 12/01/2027",
    # money and counts
    "£1,234,567.89", "£12,345 and £67,890", "€1,234,567", "£1,234,567 (2026/27)", "1,234,567,890 people",
    "£2,345,678.90 over 2026-2027", "Budget £123,456; 2027/28: £234,567", "Births 2024: 1,812; 2025: 1,790",
    "2,345 of 6,789 (34.5%)", "Target 95% by 31/03/2027 (baseline 2026: 87.2%)",
    # longer runs of digits, ISBNs, references
    "94347659190", "12345678901234", "Case ref 202701310001", "ISBN 0-306-40615-2", "ISBN-10: 0-19-852663-6",
    "ISBN 978-0-306-40615-7", "see 0-306-40615-2", "ISBN 0306406152", "ISBN 0 19 852663 6",
    "Invoice INV-2027-000123, £1,250.00", "Charity no. 1234567, company no. 01234567",
    # postcodes, addresses, versions and other numbers
    "Unit 4, 12 King St, BB2 2DH", "v1.2.3", "Room 1.23 at 10:30", "Sort code 20-00-00 account 12345678",
    "40 staff; 12 sessions in 2027", "2026-2027 1234", "53.7486, -2.4821", "Q3 2026/27: 1,234 contacts, 567 visits",
]


def nhs_rules(text: str) -> list[str]:
    return [f.rule for f in rules.check_text(text, s.SUMMARY, "G10", "L7") if f.rule == "nhs_number"]


def naive_screener_flags(text: str) -> bool:
    """Every digit in the text, separators removed, any ten in a row passing the check: what a screener that
    ignores shape would refuse."""
    digits = "".join(str(unicodedata.decimal(ch)) for ch in unicodedata.normalize("NFKC", text) if ch.isdecimal())
    return any(rules.nhs_number_valid(digits[i:i + 10]) for i in range(len(digits) - 9))


def with_wrong_check_digit(text: str) -> str:
    """The same text with the last digit (a 9 in every shape above, in its own script) one lower: 9434765918."""
    index = max(i for i, ch in enumerate(text) if ch.isdecimal())
    assert unicodedata.decimal(text[index]) == 9
    return text[:index] + chr(ord(text[index]) - 1) + text[index + 1:]


# --- the rules ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", NHS_SHAPES)
def test_each_shape_is_an_nhs_number(text: str) -> None:
    [finding] = [f for f in rules.check_text(text, s.SUMMARY, "G10", "L7") if f.rule == "nhs_number"]
    assert (finding.cell, finding.severity) == ("G10", rules.ERROR)
    assert "NHS number" in finding.message


@pytest.mark.parametrize("text", NHS_SHAPES)
def test_the_same_shape_failing_the_check_digit_is_not(text: str) -> None:
    assert nhs_rules(with_wrong_check_digit(text)) == []


def test_the_corpus_is_large_and_real_shaped() -> None:
    assert len(NOT_NHS) >= 50 and len(set(NOT_NHS)) == len(NOT_NHS)


@pytest.mark.parametrize("text", NOT_NHS)
def test_no_real_shaped_number_that_is_not_an_nhs_number_is_flagged(text: str) -> None:
    assert nhs_rules(text) == []


def test_the_corpus_would_fool_a_naive_screener() -> None:
    """Most entries hold ten digits passing the check: only reading their shape keeps them allowed."""
    fooled = [text for text in NOT_NHS if naive_screener_flags(text)]
    assert len(fooled) >= 40, len(fooled)
    assert all(naive_screener_flags(text) for text in NHS_SHAPES)


@pytest.mark.parametrize("after, flagged", [
    ("1254 585 850", False), ("161 496 0003", False), ("7700 900 124", False), ("800 123 4568", False),
    ("943 476 5919", True), ("401 023 2137", True), ("500 000 0005", True), ("600 000 0006", True),
])
def test_after_plus_44_the_first_digit_decides(after: str, flagged: bool) -> None:
    """UK numbers are 01, 02, 03 (geographic), 07 (mobile) and 08: after +44 a number starting 1, 2, 3, 7 or 8 is
    a phone number; one starting 4, 5, 6 or 9 is read as an NHS number (every example passes the check)."""
    assert rules.nhs_number_valid(after.replace(" ", ""))
    for prefix in ("+44 ", "0044 ", "+44"):
        assert nhs_rules(prefix + after) == (["nhs_number"] if flagged else [])


# --- after review: phone numbers over two lines, lists of figures, the issue's shapes -------------------

#: UK phone numbers broken over two lines: each holds ten digits after the 0 or +44 that pass the check.
PHONES_OVER_TWO_LINES = ["Tel +44 (0)1254\n541500", "Mob +44 7729\n689 871", "+44 1254\n541500",
                         "Ring 0044 (0)7729 689\n871", "Call 01254\n541500", "Mobile 07729\n689871"]

#: Lists of figures a public-health tracker is full of, as the review found them refused: each holds ten digits
#: in a row that pass the check once everything but digits is removed.
FIGURE_LISTS_SEEN = ["Contacts Q1-Q3: 137, 735, 9824", "Wards 808, 362, 1293", "IMR per 1,000: 8.1 1.6 8.1 4.9 3.1",
                     "Referrals by quarter: 36 22 72 13 59", "Referrals by quarter:\n36\n22\n72\n13\n59",
                     "Sessions 132 122 72 13 this quarter", "Rate 1812/148909 births"]

LIST_LABELS = {  # what a list of each kind of figure is of
    "count": ["Referrals by quarter: ", "Births by month: ", "Home visits per week: ", "Deaths by month: ",
              "Contacts Q1-Q4: ", "Sessions 2026/27: ", ""],
    "total": ["Wards ", "Contacts Q1-Q3: ", "Births 2022-2025: ", "Referrals by ward: ", ""],
    "rate": ["IMR per 1,000: ", "Uptake (%): ", "Rate per 1,000 births: ", "Smoking at delivery (%): ", ""],
}


def figure_lists(count: int, seed: int = 16) -> list[str]:
    """`count` lists of three to six figures, as a tracker holds them: counts under a thousand spaced or with
    commas, totals under ten thousand after a comma and a space, rates with one decimal place spaced or after a
    comma and a space. Random but seeded; only lists whose figures have ten digits in all, passing the check,
    are kept: every one would be refused by a screener that reads the figures of a list as one number."""
    rng = random.Random(seed)

    def figure(kind: str) -> str:
        if kind == "rate":
            return f"{rng.randrange(1, 1000) / 10:.1f}"
        digits = rng.randint(1, 4 if kind == "total" else 3)
        return str(rng.randrange(10 ** (digits - 1) if digits > 1 else 0, 10 ** digits))

    shapes = [(" ", "count"), (", ", "count"), (",", "count"), (", ", "total"), (" ", "rate"), (", ", "rate")]
    lists: list[str] = []
    while len(lists) < count:
        separator, kind = rng.choice(shapes)
        figures = separator.join(figure(kind) for _ in range(rng.randint(3, 6)))
        text = rng.choice(LIST_LABELS[kind]) + figures
        digits = "".join(ch for ch in figures if ch.isdigit())
        if rules.nhs_number_valid(digits) and text not in lists:
            lists.append(text)
    return lists


FIGURE_LISTS = figure_lists(60)

#: The shapes of 943 476 5919 the issue named: all still refused.
ISSUE_SHAPES = ["943 476 5919", "943-476-5919", "943.476.5919", "9434 765 919", "943/476/5919", "943_476_5919",
                "943,476,5919", "(943) 476 5919", "+44 943 476 5919", "0044 943 476 5919", "943 476\n5919",
                "943\n476\n5919", "\uff19\uff14\uff13 \uff14\uff17\uff16 \uff15\uff19\uff11\uff19",
                "\uff19\uff14\uff13\uff0d\uff14\uff17\uff16\uff0d\uff15\uff19\uff11\uff19",  # full-width dashes
                "\uff19\uff14\uff13\uff0e\uff14\uff17\uff16\uff0e\uff15\uff19\uff11\uff19",  # full-width dots
                "943\u00a0476\u00a05919", "943\u2009476\u20095919", "943\u202f476\u202f5919",
                "943/\n476/\n5919", "943.\n476.\n5919", "(943)\n476 5919"]  # punctuation before the breaks


@pytest.mark.parametrize("text", PHONES_OVER_TWO_LINES)
def test_a_phone_number_broken_over_two_lines_is_not_an_nhs_number(text: str) -> None:
    """The lines are joined before phone numbers are set aside: `+44 (0)1254` / `541500` is one phone number."""
    assert naive_screener_flags(text)
    assert nhs_rules(text) == []


def test_the_figure_lists_are_many_and_each_would_fool_a_naive_screener() -> None:
    assert len(FIGURE_LISTS) >= 30 and len(set(FIGURE_LISTS)) == len(FIGURE_LISTS)
    assert all(naive_screener_flags(text) for text in FIGURE_LISTS + FIGURE_LISTS_SEEN)
    assert {", " in text for text in FIGURE_LISTS} == {True, False}  # comma'd and spaced
    assert any("." in text.rsplit(":", 1)[-1] for text in FIGURE_LISTS)  # and rates with a decimal place


@pytest.mark.parametrize("text", FIGURE_LISTS_SEEN + FIGURE_LISTS)
def test_a_list_of_figures_is_not_an_nhs_number(text: str) -> None:
    assert nhs_rules(text) == []


@pytest.mark.parametrize("text", ISSUE_SHAPES)
def test_the_issue_shapes_are_still_nhs_numbers(text: str) -> None:
    assert nhs_rules(text) == ["nhs_number"]
    assert nhs_rules(with_wrong_check_digit(text)) == []


# --- the command line -----------------------------------------------------------------------------------

def run_sli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = sli.main(list(argv))
    return code, out.getvalue()


@pytest.mark.parametrize("text", NHS_SHAPES)
def test_sli_update_refuses_each_shape_and_changes_nothing(workbook: Path, text: str) -> None:
    before = workbook.read_bytes()
    code, out = run_sli("update", "L7", "--summary", text, "--by", "Helen Lowey", "--workbook", str(workbook))
    assert code == sli.EXIT_FINDINGS, out
    assert "looks like an NHS number" in out and "Traceback" not in out
    assert workbook.read_bytes() == before


def test_sli_update_as_a_process_refuses_a_number_split_over_two_lines(workbook: Path) -> None:
    before = workbook.read_bytes()
    done = subprocess.run([sys.executable, str(ROOT / "sli.py"), "update", "L7", "--summary",
                           "Discussed case 943 476\n5919 with the midwife", "--by", "Helen Lowey",
                           "--workbook", str(workbook)], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "L7 Summary of status: error: Summary of status contains what looks like an NHS number" in done.stdout
    assert workbook.read_bytes() == before


@pytest.mark.parametrize("text", [
    "Tel +44 (0)1254\n541500 or Mob +44 7729\n689 871",
    "Contacts Q1-Q3: 137, 735, 9824. Wards 808, 362, 1293. IMR per 1,000: 8.1 1.6 8.1 4.9 3.1. "
    "Referrals by quarter: 36 22 72 13 59.",
])
def test_sli_update_takes_phone_numbers_over_two_lines_and_lists_of_figures(workbook: Path, text: str) -> None:
    code, out = run_sli("update", "L7", "--summary", text, "--by", "Helen Lowey", "--workbook", str(workbook))
    assert code == sli.EXIT_OK, out
    row = next(r for r in openpyxl.load_workbook(workbook)[s.MAIN_SHEET].iter_rows(min_row=4) if r[0].value == "L7")
    assert row[6].value == text


def test_sli_update_still_takes_a_phone_number_and_a_date(workbook: Path) -> None:
    text = "Ring Mary on +44 1254 585 850 or 01254 222 227 before 31/01/2027 14:30"
    code, out = run_sli("update", "L7", "--summary", text, "--by", "Helen Lowey", "--workbook", str(workbook))
    assert code == sli.EXIT_OK, out
    row = next(r for r in openpyxl.load_workbook(workbook)[s.MAIN_SHEET].iter_rows(min_row=4) if r[0].value == "L7")
    assert row[6].value == text


# --- the Slack bot over HTTP ------------------------------------------------------------------------------

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


@pytest.mark.parametrize("text", NHS_SHAPES)
def test_the_bot_refuses_each_shape_in_a_one_line_update(bot: BoltHTTP, workbook: Path, text: str) -> None:
    before = workbook.read_bytes()
    status, body = bot.command(text=f'update 7 summary="{text}"', user_id=L7_LEAD)
    assert status == 200
    refusal = json.loads(body)  # refused at once, in the acknowledgement itself
    assert "not recorded" in refusal["text"] and "NHS number" in refusal["text"]
    assert workbook.read_bytes() == before


def test_the_bot_refuses_a_number_split_over_lines_in_the_form(bot: BoltHTTP, workbook: Path) -> None:
    """The form's summary box takes several lines: the number split over two is refused beside the field."""
    bot.command(text="update L7", user_id=L7_LEAD, trigger_id="1.2.trig")
    view = {**bot.standin.wait_for("views.update")[-1]["args"]["view"], "id": "V1", "hash": "h1"}
    before = workbook.read_bytes()
    state = {"status": {"value": {"type": "static_select", "selected_option": {"value": "Off track"}}},
             "summary": {"value": {"type": "plain_text_input", "value": "Case 943 476\n5919 discussed"}},
             "next": {"value": {"type": "plain_text_input", "value": "Agree the audit"}},
             "due": {"value": {"type": "datepicker", "selected_date": "2027-03-31"}}}
    status, body = bot.interactive({"type": "view_submission", "team": {"id": "T1"}, "user": {"id": L7_LEAD},
                                    "api_app_id": "A1", "token": "x", "trigger_id": "1.2.t",
                                    "view": {**view, "state": {"values": state}}})
    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "errors" and "NHS number" in answer["errors"]["summary"]
    assert workbook.read_bytes() == before
