"""The validation rules for Appendix 1: the only ones. The command line, the bot and the add-in all call them.

Each finding names its recommendation and field (`L7 Status`; the cell, `F7`, is kept for the add-in to
select it), says error or warning, and has a sentence an officer understands without knowing the rule.
An error stops an update; a warning is shown and allowed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from shared.domain import schema as s
from shared.domain.values import (
    EARLIEST_DUE,
    LATEST_DUE,
    DateParseError,
    NotADate,
    cell_text,
    day_text,
    due_in_range,
    parse_date,
    suggest_status,
)

ERROR = "error"
WARNING = "warning"
MAX_TEXT = 2000
EXPECTED_REFS = tuple(f"L{n}" for n in range(1, 23))

#: Columns whose text is checked for formulas, control characters, length and patient data.
TEXT_COLUMNS = (s.RECOMMENDATION, s.LEAD_OFFICER, s.SUMMARY, s.NEXT_STEPS, s.UPDATED_BY)


@dataclass(frozen=True)
class Finding:
    """One problem in one cell: `where` names it for people, `cell` locates it for the add-in."""

    cell: str
    severity: str
    message: str
    rule: str
    column: str = ""
    ref: str = ""

    @property
    def where(self) -> str:
        """What the finding is about, in the words people use: the recommendation and the field
        (`L18 Next step due`), not the cell address, which moves when officers sort rows or insert columns
        (the add-in keeps `cell` to select it). A row without a ref is named by its row; a rule about the
        sheet as a whole (`ref_missing`) by the sheet."""
        if self.rule == "ref_missing":
            return s.MAIN_SHEET
        row = re.sub(r"^[A-Z]+", "", self.cell)
        subject = self.ref or (f"Row {row}" if row else "")
        return " ".join(part for part in (subject, self.column) if part) or self.cell

    def line(self) -> str:
        """The finding on one line, as `sli validate` and `sli update` print it."""
        return f"{self.where}: {self.severity}: {self.message}"


Locate = Callable[[str], str]
"""Maps a column name to the cell address of that column in the row being checked."""


# --- text rules ----------------------------------------------------------------------------

#: Control characters, and what XML (so an .xlsx) cannot hold at all: surrogates, U+FFFE, U+FFFF.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
#: Excel's escape for characters XML cannot carry: `_x0041_` in a cell's XML is shown as `A` (and readers
#: disagree: python-calamine decodes it in inline strings, openpyxl does not), so such text is refused.
_EXCEL_ESCAPE = re.compile(r"_x[0-9A-Fa-f]{4}_")
_DOB = re.compile(
    r"\b(d\.?\s?o\.?\s?b(?![a-z])\.?|date of birth|born\s+(on\s+)?\d{1,2}[/.\-\s])", re.IGNORECASE
)
_NOT_A_NAME = ("Friendly", "Box", "Boxes", "Loss", "Unit", "Units", "Clinic", "Clinics", "Bank",
               "Week", "Steps", "Buddy", "Room", "Cafe", "Massage", "Group", "Groups", "Pack",
               "Packs", "Bundle", "Feeding", "Sleep", "Trust", "Charter")
_BABY_NAME = re.compile(
    r"\b[Bb]aby\s+(?:of\s+)?(?!(?:" + "|".join(_NOT_A_NAME) + r")\b)[A-Z][a-z'\-]+"
)


# --- NHS numbers ----------------------------------------------------------------------------
#
# How a text is read for NHS numbers (the rule `nhs_number`), in order:
# 1. NFKC (full-width ９４３, superscripts, the ideographic space become ASCII), then every other Unicode
#    decimal digit (Arabic-Indic ٩, Devanagari ९, ...) as its ASCII digit.
# 2. What is written as something else is set aside by its shape: UK phone numbers, dates, times, sums of
#    money, thousands and ISBNs (below). `+44` / `0044` before a number that cannot be a UK phone number
#    is dropped, and the number after it is read.
# 3. Digit groups separated by any run of characters that are not letters or digits (spaces of any width,
#    `/`, `_`, `,`, brackets, line breaks...) are read together; a number split by a line break is also
#    read with the break removed.

_HSPACE = r"[^\S\r\n]"
_DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2212"
#: Characters that join digit groups tightly: up to three spaces of any width, or one dot or dash with a space
#: either side or none. Groups joined so are read as one number whatever their sizes (`94 34 76 59 19`).
_GROUP_SEPARATOR = rf"(?:{_HSPACE}{{1,3}}|{_HSPACE}?[.{_DASHES}]{_HSPACE}?)"
_TIGHT_CHAIN = re.compile(rf"(?<![0-9])([0-9]+(?:{_GROUP_SEPARATOR}[0-9]+)*)")
#: Digit groups separated by any run of characters that are neither letters nor digits, new lines included.
_LOOSE_CHAIN = re.compile(r"(?<![0-9])[0-9]+(?:[\W_]+[0-9]+)*")
_DIGITS = re.compile(r"[0-9]+")
#: Between the groups of a phone number: spaces, dots, dashes and brackets, on one line.
_PHONE_SEPARATOR = rf"(?:{_HSPACE}|[.(){_DASHES}]){{1,4}}"
#: `+44` or `0044` (with `(0)` or `0` after it: the trunk prefix) and a UK number: geographic (1, 2, 3),
#: mobile (7) or non-geographic (8), nine or ten digits.
_UK_INTERNATIONAL_PHONE = re.compile(
    rf"(?<![\w+])(?:\+|00)44(?:{_PHONE_SEPARATOR})?(?:0(?:{_PHONE_SEPARATOR})?)?"
    rf"[12378](?:(?:{_PHONE_SEPARATOR})?[0-9]){{8,9}}(?![0-9])")
#: What is left of `+44` / `0044` once UK phone numbers are set aside: dropped, the number after it is read.
_UK_PREFIX = re.compile(rf"(?<![\w+])(?:\+|00)44(?:(?:{_PHONE_SEPARATOR})?\(0\))?")
#: Another country's phone number: `+`, a code of one to three digits, then groups.
_OTHER_INTERNATIONAL_PHONE = re.compile(rf"(?<![\w+])\+(?!44)[0-9]{{1,3}}(?:{_PHONE_SEPARATOR}[0-9]+)+")
#: A UK number written nationally: 0, an area code, the number; eleven or ten digits (`_national_phone`).
_UK_NATIONAL = re.compile(rf"(?<![\w+])\(?0[0-9]{{2}}(?:(?:{_PHONE_SEPARATOR})?[0-9]){{7,8}}(?![0-9])")
_DATE = re.compile(r"(?<![0-9][/.\-])(?<![0-9])(?:([0-9]{1,2})([/.\-])([0-9]{1,2})\2(?:[0-9]{4}|[0-9]{2})"
                   r"|([0-9]{4})([/.\-])([0-9]{1,2})\5([0-9]{1,2}))(?![/.\-][0-9])(?![0-9])")
_TIME = re.compile(r"(?<![0-9][:.])(?<![0-9])([0-9]{1,2})[:.]([0-9]{2})(?:[:.]([0-9]{2}))?(?![:.][0-9])(?![0-9])")
#: Sums of money (£1,234,567.89, €12.50) and numbers in thousands (1,234,567).
_MONEY = re.compile(r"[£$€¥]\s?[0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?"
                    r"|(?<![0-9,.])[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?(?![0-9]|[,.][0-9])")
#: ISBNs: after the word ISBN, and ISBN-10s written in four hyphenated groups with the check character apart
#: (an ISBN-10's check digit is computed as the NHS number's is, so every ISBN-10 passes it).
_ISBN = re.compile(r"\bISBN(?:[\s\-]*1[03])?\s*:?\s*(?:97[89][\s\-]?)?[0-9](?:[\s\-]?[0-9]){8}[\s\-]?[0-9Xx]\b"
                   r"|(?<![0-9\-])[0-9]{1,5}-[0-9]{1,7}-[0-9]{1,7}-[0-9Xx](?![0-9\-])", re.IGNORECASE)
_LINE_BREAK_IN_NUMBER = re.compile(
    rf"(?<=[0-9]){_HSPACE}*-?{_HSPACE}*(?:\r\n|[\n\r\x0b\x0c\x85\u2028\u2029]){_HSPACE}*(?=[0-9])")
#: What a set-aside number is replaced with: a letter, so no digit group reaches across it.
_SET_ASIDE = " x "


def _isbn(match: re.Match[str]) -> str:
    """After the word ISBN, any; written bare, only with the ten characters of an ISBN-10."""
    bare = not match.group().upper().startswith("ISBN")
    return match.group() if bare and len(re.sub(r"[^0-9Xx]", "", match.group())) != 10 else _SET_ASIDE


def _digits_form(text: str) -> str:
    """NFKC, then every Unicode decimal digit as its ASCII digit: how the screening reads digits."""
    text = unicodedata.normalize("NFKC", text)
    if text.isascii():
        return text
    return "".join(chr(48 + unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def _national_phone(match: re.Match[str]) -> str:
    """A run starting with 0 and an area code is a UK phone number when it has eleven digits (0 and ten, as
    every 01, 02, 03 and 07 number has), however grouped; or ten digits grouped as the few ten-digit UK
    numbers are, an area code of four to six digits then the number in one or two groups (01xxx xxxxx,
    016977 xxxx, 0800 xxx xxx). Ten digits unbroken or grouped 3 3 4 are read as an NHS number."""
    groups = _DIGITS.findall(match.group())
    digits = "".join(groups)
    if len(digits) == 11 or (len(digits) == 10 and 4 <= len(groups[0]) <= 6 and len(groups) in (2, 3)):
        return _SET_ASIDE
    return match.group()


def _valid_date(match: re.Match[str]) -> str:
    first, second = (match.group(1), match.group(3)) if match.group(1) else (match.group(7), match.group(6))
    day, month = int(first), int(second)
    if (1 <= day <= 31 and 1 <= month <= 12) or (1 <= month <= 31 and 1 <= day <= 12):  # 31/01 or 01/31
        return _SET_ASIDE
    return match.group()


def _valid_time(match: re.Match[str]) -> str:
    if int(match.group(1)) <= 24 and int(match.group(2)) <= 59 and int(match.group(3) or 0) <= 59:
        return _SET_ASIDE
    return match.group()


def _set_aside(text: str) -> str:
    """`text` with what is written as something other than an NHS number replaced by a letter."""
    text = _UK_INTERNATIONAL_PHONE.sub(_SET_ASIDE, text)
    text = _UK_PREFIX.sub(" ", text)
    text = _OTHER_INTERNATIONAL_PHONE.sub(_SET_ASIDE, text)
    text = _ISBN.sub(_isbn, text)
    text = _UK_NATIONAL.sub(_national_phone, text)
    text = _DATE.sub(_valid_date, text)
    text = _TIME.sub(_valid_time, text)
    return _MONEY.sub(_SET_ASIDE, text)


def _candidates_in(text: str) -> list[str]:
    found: list[str] = []
    for match in _TIGHT_CHAIN.finditer(text):  # groups joined tightly: the whole run, whatever its grouping
        groups = _DIGITS.findall(match.group(1))
        if sum(map(len, groups)) == 10:
            found.append("".join(groups))
        elif match.start() > 0 and text[match.start() - 1].isalpha() and sum(map(len, groups[1:])) == 10:
            found.append("".join(groups[1:]))  # the first group belongs to a word: `L7 94 34 76 59 19`
    for match in _LOOSE_CHAIN.finditer(text):  # groups of three or more digits, any separators between them
        groups = _DIGITS.findall(match.group())
        for start in range(len(groups)):
            digits = ""
            for group in groups[start:]:
                if len(group) < 3:
                    break
                digits += group
                if len(digits) >= 10:
                    break
            if len(digits) == 10:
                found.append(digits)
    return found


def nhs_number_candidates(text: str) -> list[str]:
    """The ten-digit strings in `text` that may be written NHS numbers, in any grouping and any script.

    Read as one number: groups joined by spaces (of any width), dots or dashes whose digits add up to ten
    (`943 476 5919`, `94 34 76 59 19`; leaving out a first group that ends a word, as in `L7`), and
    consecutive groups of three or more digits adding up to ten whatever separates them (`943/476/5919`,
    `943_476_5919`, `943,476,5919`, `(943) 476 5919`, `943` and `476 5919` on two lines, `ref 12 943 476
    5919`). A number split by a line break is also read joined (`94` at the end of one line, `34765919` on the
    next). A longer unbroken run of digits is never split (`94347659190` is not one).

    Not read as NHS numbers, by their shape: UK phone numbers (0 and an area code, eleven digits, or ten in
    any grouping but 3 3 4; `+44` / `0044` then a number starting 1, 2, 3, 7 or 8, with or without `(0)`);
    other countries' numbers (`+1 ...`); dates (31/01/2027, 2027-01-31), times (14:30), sums of money
    (£1,234,567.89), numbers in thousands (1,234,567) and ISBNs. After `+44` / `0044` a number starting 4,
    5, 6 or 9 is no UK phone number a tracker would hold (those would be 04, 05, 06, 09: unused, VoIP,
    unused and premium rate), so it is read as an NHS number: `+44 943 476 5919` is one.
    """
    read = _set_aside(_digits_form(text))
    found = _candidates_in(read)
    joined = _LINE_BREAK_IN_NUMBER.sub("", read)  # after setting aside: a phone number ending a line stays one
    if joined != read:
        found += _candidates_in(_set_aside(joined))
    return list(dict.fromkeys(found))


def _invisible(text: str) -> list[str]:
    """Characters that are not shown but change what text says or how it reads: Unicode format characters
    (category Cf: zero-width spaces and joiners, bidi overrides and isolates, byte-order marks, soft
    hyphens, tags) and the line and paragraph separators U+2028/U+2029, which Excel does not show either."""
    if text.isprintable():  # the common case, at C speed: no Cc, Cf, Zl, Zp (nor Zs other than space)
        return []
    return [ch for ch in text if ch in "\u2028\u2029" or unicodedata.category(ch) == "Cf"]


def _is_emoji(char: str) -> bool:
    code = ord(char)
    return code >= 0x1F000 or 0x2600 <= code <= 0x27BF or code in (0xFE0F, 0x2640, 0x2642)


def _joins_emoji(text: str) -> bool:
    """Whether the text's zero-width joiners all sit between emoji (👨‍👩‍👧, 🏳️‍🌈), as phones type them."""
    joins = [i for i, ch in enumerate(text) if ch == "\u200d"]
    return bool(joins) and all(0 < i < len(text) - 1 and _is_emoji(text[i - 1]) and _is_emoji(text[i + 1])
                               for i in joins)


def _char_names(chars: Iterable[str]) -> str:
    named = []
    for ch in dict.fromkeys(chars):
        named.append(f"U+{ord(ch):04X} {unicodedata.name(ch, 'format character').lower()}")
    return ", ".join(named[:3]) + (" and others" if len(named) > 3 else "")


def nhs_number_valid(digits: str) -> bool:
    """The NHS number's modulus-11 check: weights 10..2 on the first nine digits."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _text_findings(text: str, cell: str, column: str, ref: str) -> list[Finding]:
    found: list[Finding] = []

    def add(severity: str, rule: str, message: str) -> None:
        found.append(Finding(cell, severity, message, rule, column, ref))

    stripped = text.lstrip()
    if stripped.startswith("="):
        add(ERROR, "formula",
            f"{column} starts with '=', which Excel would run as a formula. Remove the '=' or reword it.")
    elif stripped[:1] in ("+", "-", "@"):
        add(WARNING, "formula_like",
            f"{column} starts with '{stripped[0]}', which Excel may take as a formula when the cell "
            "is retyped. It is kept as plain text.")
    if _CONTROL.search(text):
        add(ERROR, "control_chars",
            f"{column} contains invisible control characters (often from copying out of another "
            "program). Retype the text or paste it as plain text.")
    if escape := _EXCEL_ESCAPE.search(text):
        add(ERROR, "excel_escape",
            f"{column} contains '{escape.group()}', which Excel reads as the code of another character. "
            "Write it another way, for example without the underscores.")
    hidden = _invisible(text)
    if hidden and set(hidden) == {"\u200d"} and _joins_emoji(text):
        add(ERROR, "invisible_chars",
            f"{column} contains an emoji made of several emoji joined by an invisible character "
            "(U+200D, as in family, profession and some flag emoji). That character can also hide text, "
            "so it is not accepted: use a single emoji such as 👍, or words.")
    elif hidden:
        add(ERROR, "invisible_chars",
            f"{column} contains invisible formatting characters ({_char_names(hidden)}) that hide or "
            "reorder text, often picked up when copying from a web page or document. Retype the text or "
            "paste it as plain text.")
    if len(text) > MAX_TEXT:
        add(ERROR, "too_long",
            f"{column} is {len(text):,} characters long; the limit is {MAX_TEXT:,}. Shorten it.")
    if any(nhs_number_valid(digits) for digits in nhs_number_candidates(text)):
        add(ERROR, "nhs_number",
            f"{column} contains what looks like an NHS number. Patient-identifiable data must not "
            "go in this workbook: remove it.")
    if _DOB.search(text):
        add(WARNING, "date_of_birth",
            f"{column} seems to mention a date of birth. Check no patient can be identified.")
    if _BABY_NAME.search(text):
        add(WARNING, "baby_name",
            f"{column} seems to name a baby. Check no patient can be identified.")
    return found


def is_overdue(due: date | None, status: object, today: date) -> bool:
    """The one definition of overdue: a due date before today on a recommendation not complete."""
    return due is not None and status != s.COMPLETE and due < today


def check_text(text: str, column: str, cell: str = "", ref: str = "") -> list[Finding]:
    """The text rules alone, for a value someone typed before it reaches a row."""
    return _text_findings(text, cell, column, ref)


# --- row rules ------------------------------------------------------------------------------

def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


_RANGE = f"between {day_text(EARLIEST_DUE)} and {day_text(LATEST_DUE)}"


def _read_due(value: object) -> tuple[date | None, tuple[str, str, str] | None]:
    """A due cell's day, and the (severity, rule, sentence) of what is wrong with it, if anything.

    Whatever a reader or a person may put in the cell (text, a number, a time of day, a date in 1899)
    ends as a finding here, never an exception: the rules run on every update and every validation.
    """
    if _blank(value):
        return None, None
    if isinstance(value, NotADate | time | timedelta):
        return None, (ERROR, "due_not_date",
                      "Next step due holds a number Excel cannot show as a date (zero, a time of day or a "
                      f"date before 1900; Excel may show ####): enter the date, {_RANGE}.")
    typed_as_text = not isinstance(value, date | datetime)
    try:
        due = parse_date(value)
    except DateParseError:
        return None, (ERROR, "due_not_date",
                      f"Next step due '{cell_text(value)}' is not a date: write it like 31/01/2027.")
    if not due_in_range(due):
        return None, (ERROR, "due_out_of_range",
                      f"Next step due {day_text(due)} is outside the dates the tracker accepts: "
                      f"use a date {_RANGE}.")
    if typed_as_text:
        return due, (WARNING, "due_as_text",
                     f"Next step due '{value}' is text, not a date: retype it so Excel stores a date.")
    return due, None


def check_row(values: Mapping[str, object], locate: Locate, *, lead_orgs: Iterable[str] | None,
              today: date) -> list[Finding]:
    """Every rule that concerns one recommendation's row. `values` maps column names to cell values."""
    ref = str(values.get(s.REF) or "")
    found: list[Finding] = []

    def add(column: str, severity: str, rule: str, message: str) -> None:
        found.append(Finding(locate(column), severity, message, rule, column, ref))

    raw_status = values.get(s.STATUS)
    status = raw_status.strip() if isinstance(raw_status, str) else raw_status
    if _blank(status):
        add(s.STATUS, ERROR, "status_missing",
            f"Status is empty: choose one of {', '.join(s.STATUSES)}.")
        status = None
    elif status not in s.STATUSES:
        guess = suggest_status(status)
        hint = f" Did you mean '{guess}'?" if guess else ""
        add(s.STATUS, ERROR, "status_unknown",
            f"'{status}' is not a status.{hint} Use one of {', '.join(s.STATUSES)}.")
        status = None

    if status and status != s.COMPLETE and _blank(values.get(s.NEXT_STEPS)):
        add(s.NEXT_STEPS, ERROR, "next_steps_missing",
            f"Next steps are empty: say what happens next (needed unless the status is {s.COMPLETE}).")

    due_value = values.get(s.DUE)
    due, problem = _read_due(due_value)
    if problem:
        add(s.DUE, *problem)
    if status in (s.AT_RISK, s.OFF_TRACK) and due is None and _blank(due_value):
        add(s.DUE, ERROR, "due_missing",
            f"A recommendation that is {status} needs a next step with a due date.")
    if is_overdue(due, status, today):
        add(s.DUE, WARNING, "overdue",
            f"The next step was due on {due:%d/%m/%Y} and the recommendation is not complete: "
            "it is overdue. Update the status or set a new date.")

    if status == s.COMPLETE and _blank(values.get(s.SUMMARY)):
        add(s.SUMMARY, ERROR, "summary_missing",
            "The status is Complete but the summary is empty: say what was done.")

    lead = values.get(s.LEAD_ORG)
    known = list(lead_orgs) if lead_orgs is not None else None
    if _blank(lead):
        add(s.LEAD_ORG, ERROR, "lead_missing", "No lead organisation: choose one from the list.")
    elif known is not None and str(lead).strip() not in known:
        add(s.LEAD_ORG, ERROR, "lead_unknown",
            f"'{lead}' is not in the list of lead organisations (sheet Lists). "
            "Choose one from the drop-down, or add it to the list first.")

    for column in TEXT_COLUMNS:
        value = values.get(column)
        if isinstance(value, str) and value:
            found.extend(_text_findings(value, locate(column), column, ref))
    return found


# --- whole-sheet rules ----------------------------------------------------------------------

def check_grid(grid: Sequence[Sequence[object]], *, origin: tuple[int, int] = (0, 0),
               lead_orgs: Iterable[str] | None, today: date | None = None) -> list[Finding]:
    """Every rule over the Appendix 1 sheet given as a grid of cell values.

    `origin` is the sheet position (0-based row, column) of grid[0][0], so findings name the
    cells officers see. Raises schema.HeaderError when the header row is not there.
    """
    today = today or date.today()
    header = s.find_header([list(r) for r in grid], s.MAIN_COLUMNS, s.MAIN_SHEET)
    row0, col0 = origin
    known = list(lead_orgs) if lead_orgs is not None else None
    header_cell = f"{s.column_letter(col0 + header.columns[s.REF])}{row0 + header.row + 1}"
    found: list[Finding] = []
    seen_refs: dict[str, str] = {}

    for index in range(header.row + 1, len(grid)):
        row = grid[index]
        values = {name: (row[col] if col < len(row) else None) for name, col in header.columns.items()}
        if all(_blank(v) for v in values.values()):
            continue
        sheet_row = row0 + index + 1

        def locate(column: str, sheet_row: int = sheet_row) -> str:
            return f"{s.column_letter(col0 + header.columns[column])}{sheet_row}"

        ref_cell = locate(s.REF)
        raw_ref = values.get(s.REF)
        try:
            ref = s.normalise_ref(raw_ref)
        except s.RefError:
            found.append(Finding(ref_cell, ERROR, f"'{raw_ref or ''}' is not a reference like L7: "
                                 "every recommendation needs its ref.", "ref_invalid", s.REF))
            ref = ""
        if ref and ref != str(raw_ref).strip():
            found.append(Finding(ref_cell, WARNING, f"Ref '{raw_ref}' should be written {ref}.",
                                 "ref_format", s.REF, ref))
        if ref in seen_refs:
            found.append(Finding(ref_cell, ERROR, f"{ref} appears twice (also in {seen_refs[ref]}): "
                                 "each recommendation has one row.", "ref_duplicate", s.REF, ref))
        elif ref:
            seen_refs[ref] = ref_cell
        found.extend(check_row({**values, s.REF: ref or raw_ref}, locate, lead_orgs=known, today=today))

    missing = [ref for ref in EXPECTED_REFS if ref not in seen_refs]
    if missing:
        found.append(Finding(header_cell, ERROR, f"No row for {', '.join(missing)}: every one of "
                             "the 22 recommendations needs its row.", "ref_missing", s.REF))
    return found


def errors(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == ERROR]
