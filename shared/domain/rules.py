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
#    money, thousands, ISBNs and numbers with one decimal place (below). `+44` / `0044` before a number that
#    cannot be a UK phone number is dropped, and the number after it is read. A set-aside number is replaced by
#    as many letters, so positions hold: the text is set aside as written and with its lines joined (4.), and
#    what either reading sets aside is set aside in both, so a phone number broken over two lines stays one.
# 3. Digit groups and the separators between them (characters that are neither letters nor digits; a line
#    break counts as a space), are read as one number where one kind of separator joins them all
#    (`943 476 5919`, `943/476/5919`; `943 476.5919` is not one) and their sizes are a grouping an NHS number
#    is written in (`_GROUPINGS`; any, with a dot, dash, slash or underscore). A comma or semicolon with a
#    space after it ends the number: that is a list (`137, 735, 9824`). In a longer run of one kind, three
#    groups of 3, 3 and 4 digits, the NHS's own way of writing it, are read wherever they stand
#    (`ref 12 943 476 5919`, `01254 943 476 5919`).
# 4. With its lines joined: a line break between digits is removed where it is the only one (a number wrapped
#    at the end of a line: `94` / `34765919`, `943 476` / `5919`). Where several lines of digits follow one
#    another each is a group (`943` / `476` / `5919` is read as 943 476 5919; `36` / `22` / `72` / `13` / `59`,
#    one figure a line, as a list).

_HSPACE = r"[^\S\r\n]"
_DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2212"
_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
#: Digit groups and what separates them: any characters but letters and digits.
_RUN = re.compile(r"(?<![0-9])[0-9]+(?:(?:\W|_)+[0-9]+)*")
_DIGITS = re.compile(r"[0-9]+")
_TEN_DIGITS = re.compile(r"[0-9]{10}(?![0-9])")
#: Where a run stops: a comma or semicolon followed by a space separates the items of a list.
_LIST_SEPARATOR = re.compile(r"[,;]\s")
#: What does not tell separators apart: spaces of any width, and brackets (`(943) 476 5919` is spaced).
_SPACING = re.compile(r"[\s()\[\]{}]")
_REPEATED = re.compile(r"(.)\1+")
_DASH = re.compile(f"[{_DASHES}]")
#: The group sizes of ten digits read as one NHS number when spaces, commas or anything but a dot, dash, slash
#: or underscore join them: the NHS's own 3 3 4 in any order, 2 4 4 in any order, two groups of three or
#: more (5 5, 4 6). Each has a group of four digits or more, which a list of figures under a thousand never
#: has; smaller groups so joined are the figures of a list (referrals by quarter `36 22 72 13 59`, deaths by
#: month `2 1 0 3 1 2 0 1 1 2`, `136 122 72 13`).
_GROUPINGS = frozenset({(10,), (3, 7), (4, 6), (5, 5), (6, 4), (7, 3), (3, 3, 4), (3, 4, 3), (4, 3, 3),
                        (2, 4, 4), (4, 2, 4), (4, 4, 2)})
#: Separators no one puts between the figures of a list: groups they join are one number whatever their sizes
#: (`94/34/76/59/19`, `943.47.659.19`: spelt out to get past a screener), but for two groups joined by a slash,
#: a rate (1812/148942).
_SPELLING_SEPARATORS = frozenset("./-_")
#: The NHS's own grouping, read inside a longer run (`ref 12 943 476 5919`): a list of figures under a thousand
#: never holds it.
_NHS_GROUPING = (3, 3, 4)
#: Between the groups of a phone number: spaces, dots, dashes and brackets, on one line.
_PHONE_SEPARATOR = rf"(?:{_HSPACE}|[.(){_DASHES}]){{1,4}}"
#: A phone number is a whole run: it is not followed by a separator and more digits (`01254 943 476 5919` is
#: no phone number, it holds an NHS number after an area code).
_RUN_ENDS = rf"(?!(?:{_PHONE_SEPARATOR})?[0-9])"
#: `+44` or `0044` (with `(0)` or `0` after it: the trunk prefix) and a UK number: geographic (1, 2, 3),
#: mobile (7) or non-geographic (8), nine or ten digits.
_UK_INTERNATIONAL_PHONE = re.compile(
    rf"(?<![\w+])(?:\+|00)44(?:{_PHONE_SEPARATOR})?(?:0(?:{_PHONE_SEPARATOR})?)?"
    rf"[12378](?:(?:{_PHONE_SEPARATOR})?[0-9]){{8,9}}{_RUN_ENDS}")
#: What is left of `+44` / `0044` once UK phone numbers are set aside: dropped, the number after it is read.
#: Only where it stands before a number and not as the last group of one (`409 006 0044` is an NHS number
#: written 3 3 4, not 409 006 and a dialling code).
_UK_PREFIX = re.compile(rf"(?<![\w+])(?<![0-9]\s)(?<![0-9][.,/_{_DASHES}])(?:\+|00)44"
                        rf"(?:(?:{_PHONE_SEPARATOR})?\(0\))?(?=(?:{_PHONE_SEPARATOR})?[0-9])")
#: Another country's phone number: `+`, a code of one to three digits, then groups.
_OTHER_INTERNATIONAL_PHONE = re.compile(rf"(?<![\w+])\+(?!44)[0-9]{{1,3}}(?:{_PHONE_SEPARATOR}[0-9]+)+")
#: A UK number written nationally: 0, an area code, the number; eleven or ten digits (`_national_phone`).
_UK_NATIONAL = re.compile(rf"(?<![\w+])\(?0[0-9]{{2}}(?:(?:{_PHONE_SEPARATOR})?[0-9]){{7,8}}{_RUN_ENDS}")
_DATE = re.compile(r"(?<![0-9][/.\-])(?<![0-9])(?:([0-9]{1,2})([/.\-])([0-9]{1,2})\2(?:[0-9]{4}|[0-9]{2})"
                   r"|([0-9]{4})([/.\-])([0-9]{1,2})\5([0-9]{1,2}))(?![/.\-][0-9])(?![0-9])")
_TIME = re.compile(r"(?<![0-9][:.])(?<![0-9])([0-9]{1,2})[:.]([0-9]{2})(?:[:.]([0-9]{2}))?(?![:.][0-9])(?![0-9])")
#: Sums of money (£1,234,567.89, €12.50) and numbers in thousands (1,234,567).
_MONEY = re.compile(r"[£$€¥]\s?[0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?"
                    r"|(?<![0-9,.])[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?(?![0-9]|[,.][0-9])")
#: A figure with one decimal place (a rate: `8.1`), not part of a longer dotted run (`94.34.76.59.19`).
_DECIMAL = re.compile(r"(?<![0-9.])[0-9]+\.[0-9](?![0-9]|[.,][0-9])")
#: ISBNs: after the word ISBN, and ISBN-10s written in four hyphenated groups with the check character apart
#: (an ISBN-10's check digit is computed as the NHS number's is, so every ISBN-10 passes it).
_ISBN = re.compile(r"\bISBN(?:[\s\-]*1[03])?\s*:?\s*(?:97[89][\s\-]?)?[0-9](?:[\s\-]?[0-9]){8}[\s\-]?[0-9Xx]\b"
                   r"|(?<![0-9\-])[0-9]{1,5}-[0-9]{1,7}-[0-9]{1,7}-[0-9Xx](?![0-9\-])", re.IGNORECASE)
_BREAK = rf"{_HSPACE}*-?{_HSPACE}*(?:\r\n|[{_LINE_BREAKS}]){_HSPACE}*"
_LINE_BREAK_IN_NUMBER = re.compile(rf"(?<=[0-9]){_BREAK}(?=[0-9])")
#: Digits over two or more lines, a break between digits on each (`476` / `5919`).
_LINES_OF_DIGITS = re.compile(rf"(?<![0-9])[0-9]+(?:{_BREAK}[0-9]+)+")


def _set_aside_as_letters(match: re.Match[str]) -> str:
    """What replaces a set-aside number: letters, as many characters as it had (so positions in the text stay
    put), with a space at each end: no digit group reaches across it, and none takes it for a word before it."""
    size = len(match.group())
    return "x" * size if size < 3 else " " + "x" * (size - 2) + " "


def _isbn(match: re.Match[str]) -> str:
    """After the word ISBN, any; written bare, only with the ten characters of an ISBN-10."""
    bare = not match.group().upper().startswith("ISBN")
    if bare and len(re.sub(r"[^0-9Xx]", "", match.group())) != 10:
        return match.group()
    return _set_aside_as_letters(match)


def _digits_form(text: str) -> str:
    """NFKC, then every Unicode decimal digit as its ASCII digit: how the screening reads digits."""
    text = unicodedata.normalize("NFKC", text)
    if text.isascii():
        return text
    return "".join(chr(48 + unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def _drop_prefix(match: re.Match[str]) -> str:
    """`+44` / `0044` as spaces, so the number after it is read; but ten digits unbroken that start 0044 are a
    number of their own (0044000006 passes the check), not a dialling code and six digits."""
    if _TEN_DIGITS.match(match.string, match.start()):
        return match.group()
    return " " * len(match.group())


def _national_phone(match: re.Match[str]) -> str:
    """A run starting with 0 and an area code is a UK phone number when it has eleven digits (0 and ten, as
    every 01, 02, 03 and 07 number has), however grouped; or ten digits grouped as the few ten-digit UK
    numbers are, an area code of four to six digits then the number in one or two groups (01xxx xxxxx,
    016977 xxxx, 0800 xxx xxx). Ten digits unbroken or grouped 3 3 4 are read as an NHS number."""
    groups = _DIGITS.findall(match.group())
    digits = "".join(groups)
    if len(digits) == 11 or (len(digits) == 10 and 4 <= len(groups[0]) <= 6 and len(groups) in (2, 3)):
        return _set_aside_as_letters(match)
    return match.group()


def _valid_date(match: re.Match[str]) -> str:
    first, second = (match.group(1), match.group(3)) if match.group(1) else (match.group(7), match.group(6))
    day, month = int(first), int(second)
    if (1 <= day <= 31 and 1 <= month <= 12) or (1 <= month <= 31 and 1 <= day <= 12):  # 31/01 or 01/31
        return _set_aside_as_letters(match)
    return match.group()


def _valid_time(match: re.Match[str]) -> str:
    if int(match.group(1)) <= 24 and int(match.group(2)) <= 59 and int(match.group(3) or 0) <= 59:
        return _set_aside_as_letters(match)
    return match.group()


def _set_aside(text: str) -> str:
    """`text` with what is written as something other than an NHS number replaced by letters (and `+44` before
    a number that is no UK phone number by spaces), character for character: the result is as long."""
    text = _UK_INTERNATIONAL_PHONE.sub(_set_aside_as_letters, text)
    text = _UK_PREFIX.sub(_drop_prefix, text)
    text = _OTHER_INTERNATIONAL_PHONE.sub(_set_aside_as_letters, text)
    text = _ISBN.sub(_isbn, text)
    text = _UK_NATIONAL.sub(_national_phone, text)
    text = _DATE.sub(_valid_date, text)
    text = _TIME.sub(_valid_time, text)
    text = _MONEY.sub(_set_aside_as_letters, text)
    return _DECIMAL.sub(_set_aside_as_letters, text)


def _lines_joined(text: str) -> tuple[str, list[int]]:
    """`text` with each line break that is the only one between two lines of digits removed (a number wrapped at
    the end of a line; several lines of digits are groups, read as written), and the index in `text` of each
    character."""
    pieces: list[str] = []
    origin: list[int] = []
    done = 0
    for lines in _LINES_OF_DIGITS.finditer(text):
        breaks = list(_LINE_BREAK_IN_NUMBER.finditer(text, lines.start(), lines.end()))
        if len(breaks) == 1:
            pieces.append(text[done:breaks[0].start()])
            origin.extend(range(done, breaks[0].start()))
            done = breaks[0].end()
    pieces.append(text[done:])
    origin.extend(range(done, len(text)))
    return "".join(pieces), origin


def _separator_kind(separator: str) -> str | None:
    """What joins two digit groups, as compared along a run: " " for spaces of any width, line breaks and
    brackets, else the separator without them, dashes as `-` and a character repeated once (`--` is `-`).
    None for a comma or semicolon with a space after it: the items of a list, never one number."""
    if _LIST_SEPARATOR.search(separator):
        return None
    core = _DASH.sub("-", _SPACING.sub("", separator))
    return _REPEATED.sub(r"\1", core) or " "


def _read_as_one(sizes: tuple[int, ...], kind: str) -> bool:
    """Whether groups of these sizes joined by this kind of separator are written as one ten-digit number."""
    if kind in _SPELLING_SEPARATORS:
        return not (kind == "/" and len(sizes) == 2)
    return sizes in _GROUPINGS


def _candidates_in(text: str) -> list[str]:
    """The ten-digit strings `text` (set aside already) writes as one number (step 3 above)."""
    found: list[str] = []
    for run in _RUN.finditer(text):
        groups = _DIGITS.findall(run.group())
        found += [group for group in groups if len(group) == 10]  # ten digits unbroken, wherever they stand
        kinds = [_separator_kind(sep) for sep in re.split(r"[0-9]+", run.group())[1:-1]]
        after_word = run.start() > 0 and text[run.start() - 1].isalpha()  # `L7 943 476 5919`: 7 ends a word
        start = 0
        while start < len(groups) - 1:
            end = start + 1  # groups[start:end + 1] joined by kinds[start:end], all one kind
            while end < len(kinds) and kinds[end] is not None and kinds[end] == kinds[start]:
                end += 1
            kind = kinds[start]
            if kind is not None:
                part = groups[start:end + 1]
                sizes = tuple(map(len, part))
                if sum(sizes) == 10 and _read_as_one(sizes, kind):
                    found.append("".join(part))
                elif start == 0 and after_word and sum(sizes[1:]) == 10 and _read_as_one(sizes[1:], kind):
                    found.append("".join(part[1:]))
                found += ["".join(part[i:i + 3]) for i in range(len(part) - 2) if sizes[i:i + 3] == _NHS_GROUPING]
            start = end
    return found


def nhs_number_candidates(text: str) -> list[str]:
    """The ten-digit strings in `text` that may be written NHS numbers, in any grouping and any script.

    Read as one number: ten digits unbroken; groups joined by one kind of separator throughout. With a dot,
    dash, slash or underscore, in any grouping (`943-476-59-19`, `94/34/76/59/19`) but two groups with a slash
    (a rate: 1812/148942). With spaces of any width (brackets and line breaks count as spaces), commas with no
    space after them or anything else, in a grouping NHS numbers are written in, each with a group of four
    digits or more: 3 3 4 or 2 4 4 in any order, or two groups of three or more (`94347 65919`). So
    `943 476 5919`, `943.476.5919`, `9434 765 919`, `943/476/5919`, `943_476_5919`, `943,476,5919`,
    `(943) 476 5919`, `943 -- 476 -- 5919`.
    A first group that ends a word is left out (`L7 9434 765 919`), and 3 3 4 is read inside a longer run
    (`ref 12 943 476 5919`, `Tel 01254 943 476 5919`). A line break counts as a space (`943` / `476` / `5919`),
    and one that is the only break between two lines of digits is also read removed (`94` at the end of one
    line, `34765919` on the next).

    Not read, as lists of figures: groups after a comma or semicolon and a space (`137, 735, 9824`), groups
    mixing separators (`8.1 1.6 8.1 4.9 3.1`), and small groups spaced or with commas (`36 22 72 13 59`,
    `136 122 72 13`, also one a line). So an NHS number written `943, 476, 5919`, `94 34 76 59 19`,
    `943 476 59 19` or `5 94 34 76 59 19` is not caught: a screener cannot tell those from the figures a
    tracker is full of.
    A longer unbroken run of digits is never split (`94347659190` is not one).

    Not read as NHS numbers, by their shape: UK phone numbers (0 and an area code, eleven digits, or ten in
    any grouping but 3 3 4; `+44` / `0044` then a number starting 1, 2, 3, 7 or 8, with or without `(0)`;
    a whole run only, so `01254 943 476 5919` is no phone number); other countries' numbers (`+1 ...`);
    dates (31/01/2027, 2027-01-31), times (14:30), sums of money (£1,234,567.89), numbers in thousands
    (1,234,567), figures with one decimal place and ISBNs. After `+44` / `0044` a number starting 4, 5, 6 or 9
    is no UK phone number a tracker would hold (those would be 04, 05, 06, 09: unused, VoIP, unused and premium
    rate), so it is read as an NHS number: `+44 943 476 5919` is one.
    """
    read = _digits_form(text)
    aside = _set_aside(read)
    if not _LINE_BREAK_IN_NUMBER.search(read):
        return list(dict.fromkeys(_candidates_in(aside)))
    joined, origin = _lines_joined(read)  # joined before setting aside: `+44 (0)1254` / `541500` is a phone
    merged = list(aside)
    for index, (was, now) in enumerate(zip(joined, _set_aside(joined), strict=True)):
        if now != was and (now == "x" or merged[origin[index]] == read[origin[index]]):
            merged[origin[index]] = now  # set aside in either reading: in both; letters over a dropped `+44`
    both = "".join(merged)
    return list(dict.fromkeys(_candidates_in(both) + _candidates_in(_lines_joined(both)[0])))


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

    if s.ASSURED_BY in values:
        _assurance_row(values, status, add)
    for column in (*TEXT_COLUMNS, *ASSURANCE_TEXT_COLUMNS):
        value = values.get(column)
        if isinstance(value, str) and value:
            found.extend(_text_findings(value, locate(column), column, ref))
    return found


#: The assurance columns whose text is screened like every other (when the workbook has them).
ASSURANCE_TEXT_COLUMNS = (s.ACCOUNTABLE, s.EVIDENCE, s.ASSURED_BY)
EVIDENCE_NEEDED = ("Complete needs evidence for whoever is accountable to assure it: give an evidence note or link "
                   "(sli update --evidence, evidence=\"...\" in a chat, or the form's Evidence).")


def _assurance_row(values: Mapping[str, object], status: object, add: Callable[[str, str, str, str], None]) -> None:
    """The rules of a row's assurance columns (shared/domain/assurance.py): a Complete claim on a row with an
    accountable role carries evidence; `Assured by` and `Assured on` go together, on a Complete row, the
    date a date."""
    accountable = s.split_list(values.get(s.ACCOUNTABLE))
    if status == s.COMPLETE and accountable and _blank(values.get(s.EVIDENCE)):
        add(s.EVIDENCE, ERROR, "evidence_missing", EVIDENCE_NEEDED)
    by, on = values.get(s.ASSURED_BY), values.get(s.ASSURED_ON)
    if _blank(by) and _blank(on):
        return
    if status and status != s.COMPLETE:  # (an unreadable status has its own finding)
        add(s.ASSURED_BY, ERROR, "assured_not_complete",
            f"Assured by and Assured on are filled but the status is {status}: an assurance is of a "
            "Complete claim. Clear them.")
    if _blank(by):
        add(s.ASSURED_BY, ERROR, "assured_by_missing", "Assured on is filled but Assured by is empty: say who "
            "assured it.")
    if _blank(on):
        add(s.ASSURED_ON, ERROR, "assured_on_missing", "Assured by is filled but Assured on is empty: give the date.")
    elif not isinstance(on, date):
        add(s.ASSURED_ON, ERROR, "assured_on_not_date", "Assured on is not a date: write it like 31/01/2027.")


# --- whole-sheet rules ----------------------------------------------------------------------

def check_grid(grid: Sequence[Sequence[object]], *, origin: tuple[int, int] = (0, 0),
               lead_orgs: Iterable[str] | None, today: date | None = None) -> list[Finding]:
    """Every rule over the Appendix 1 sheet given as a grid of cell values.

    `origin` is the sheet position (0-based row, column) of grid[0][0], so findings name the
    cells officers see. Raises schema.HeaderError when the header row is not there.
    """
    today = today or date.today()
    header = s.find_header([list(r) for r in grid], s.MAIN_COLUMNS, s.MAIN_SHEET)
    header = s.with_optional([list(r) for r in grid[:header.row + 1]], header, s.ASSURANCE_COLUMNS)
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
