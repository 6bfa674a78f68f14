"""Turning what people type into the workbook's values: statuses, dates, text.

One place for it, so that the command line, the Slack bot and the add-in accept the same
spellings: `on track`, `31/1/27`, `31 Jan 2027`, text pasted from a phone with curly quotes.
"""

from __future__ import annotations

import difflib
import re
import textwrap
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from shared.domain.schema import AT_RISK, COMPLETE, DATE_COLUMNS, NOT_STARTED, OFF_TRACK, ON_TRACK, STATUSES

#: Words people use for a status that are not in the vocabulary, and what they mean.
STATUS_SYNONYMS = {
    "green": ON_TRACK, "amber": AT_RISK, "red": OFF_TRACK, "blue": COMPLETE,
    "done": COMPLETE, "completed": COMPLETE, "finished": COMPLETE, "closed": COMPLETE,
    "ontrack": ON_TRACK, "in progress": ON_TRACK, "started": ON_TRACK,
    "atrisk": AT_RISK, "offtrack": OFF_TRACK, "behind": OFF_TRACK, "late": OFF_TRACK,
    "notstarted": NOT_STARTED, "not yet started": NOT_STARTED, "todo": NOT_STARTED,
}

_CURLY = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
                        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"',
                        "\u00a0": " ", "\u2013": "-", "\u2014": "-"})


def straighten_quotes(text: str) -> str:
    """Curly quotes and non-breaking spaces, as phones and Macs type them, made plain."""
    return text.translate(_CURLY)


def plain_newlines(text: str) -> str:
    """Line breaks as a cell keeps them: CR LF (pasted from Windows programs) and a lone CR (old Mac text)
    made LF, the one line break Excel itself stores. A CR would otherwise be written as `&#13;` and come
    back from readers as a stray character, and the Change log, the journal and the add-in would disagree
    on what the text was."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text  # most texts have none


def _status_key(text: str) -> str:
    return " ".join(straighten_quotes(str(text)).split()).casefold()


def canonical_status(text: object) -> str | None:
    """The vocabulary entry `text` spells, ignoring case and spacing; None when it is not one."""
    key = _status_key(str(text))
    for status in STATUSES:
        if status.casefold() == key:
            return status
    return None


def suggest_status(text: object) -> str | None:
    """The status someone most likely meant (`on-track` -> On track, `Amber` -> At risk)."""
    key = _status_key(str(text))
    squashed = re.sub(r"[\s\-_./]+", "", key)
    for candidate in (key, squashed, re.sub(r"[\-_./]+", " ", key)):
        if candidate in STATUS_SYNONYMS:
            return STATUS_SYNONYMS[candidate]
        for status in STATUSES:
            if re.sub(r"\s+", "", status.casefold()) == re.sub(r"\s+", "", candidate):
                return status
    close = difflib.get_close_matches(key, [s.casefold() for s in STATUSES], n=1, cutoff=0.6)
    if close:
        return next(s for s in STATUSES if s.casefold() == close[0])
    return None


class DateParseError(ValueError):
    """The text is not a date in a form we accept."""


#: The due dates the tracker accepts. Excel's day numbers go wrong before 01/03/1900 (the fictitious
#: 29/02/1900) and dates before 1900 come back from readers as times of day, so a typo like 1899 or
#: 0207 must be refused, not stored; a century either side of today's plans is wide enough.
EARLIEST_DUE = date(2000, 1, 1)
LATEST_DUE = date(2099, 12, 31)


def due_in_range(value: date) -> bool:
    """Whether a due date lies in the window the tracker accepts (EARLIEST_DUE to LATEST_DUE)."""
    day = value.date() if isinstance(value, datetime) else value
    return EARLIEST_DUE <= day <= LATEST_DUE


def day_text(value: date) -> str:
    """31/01/2027, also for years before 1000 (strftime pads those differently on each platform)."""
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"


class NotADate(str):
    """What a reader gives for a date cell it cannot show as a date: a number of zero or below (a date
    before 1900; Excel shows ####), which python-calamine returns as a time of day.

    It is text, so it is safe in the journal's JSON, in Slack messages and in the Change log, and the
    rules recognise it and say what to do, where a `datetime.time` used to crash the next update.
    """

    def __new__(cls, text: str = "not a date") -> NotADate:
        return super().__new__(cls, text)


_MONTHS = {name: number for number, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
     ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
     ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"), ("dec", "december")],
    start=1) for name in names}

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
_WORDY = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[\s\-]+([a-z]+)\.?,?[\s\-]+(\d{2}|\d{4})$", re.IGNORECASE)


def _year(text: str) -> int:
    return 2000 + int(text) if len(text) == 2 else int(text)


def parse_date(value: object) -> date:
    """A due date from a cell or from what someone typed: `2027-01-31`, `31/01/2027`, `31/1/27`, `31 Jan 2027`.

    Slashes are read day first, as in the UK. Raises DateParseError with a sentence saying what to type.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = straighten_quotes(str(value)).strip().strip("\"'").strip()
    try:
        if match := _ISO.match(text):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := _DAY_FIRST.match(text):
            return date(_year(match[3]), int(match[2]), int(match[1]))
        if (match := _WORDY.match(text)) and match[2].lower() in _MONTHS:
            return date(_year(match[3]), _MONTHS[match[2].lower()], int(match[1]))
    except ValueError:
        raise DateParseError(f"'{text}' is not a real date: check the day and month.") from None
    raise DateParseError(f"'{text}' is not a date: write it like 31/01/2027 or 2027-01-31.")


class MonthParseError(ValueError):
    """The text is not a month in a form we accept."""


_MONTH_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})$")
_MONTH_FIRST = re.compile(r"^(\d{1,2})[-/.](\d{4})$")
_MONTH_WORDY = re.compile(r"^([a-z]+)\.?,?[\s\-/]*(\d{4})$", re.IGNORECASE)


def parse_month(text: object) -> tuple[int, int]:
    """A month as people write it: `2026-11`, `11/2026`, `Nov 2026`, `November 2026` -> (2026, 11).

    Every month option of `sli` reads it here, as every date option reads `parse_date`. Raises
    MonthParseError with a sentence saying what to type."""
    typed = straighten_quotes(str(text)).strip().strip("\"'").strip()
    year = month = None
    if match := _MONTH_ISO.match(typed):
        year, month = int(match[1]), int(match[2])
    elif match := _MONTH_FIRST.match(typed):
        year, month = int(match[2]), int(match[1])
    elif (match := _MONTH_WORDY.match(typed)) and match[1].lower() in _MONTHS:
        year, month = int(match[2]), _MONTHS[match[1].lower()]
    if year is None or month is None or not 1 <= month <= 12 or year < 1:
        raise MonthParseError(f"'{typed}' is not a month: write it like Nov 2026, 11/2026 or 2026-11.")
    return year, month


def plural(count: int, word: str, many: str | None = None) -> str:
    """`1 change`, `0 changes`, `3 recommendations`: a count with its noun, in every message people read
    (the command line, both chats, the summary, the report), instead of `1 change(s)`. `many` is the
    plural when it is not `word` + s."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


@cache
def log_safe(text: str, limit: int = 200) -> str:
    """Text from a request or a person as part of one log line: control characters and everything beyond
    ASCII escaped, so no one can forge a line or hide one, and cut to `limit` characters. The one place every
    log that quotes such text goes through (the service's request lines, the add-in's refusals)."""
    return text.encode("unicode_escape").decode("ascii")[:limit]


def uk_zone() -> ZoneInfo:
    """Europe/London: the zone the people reading the tracker live in (GMT in winter, BST in summer)."""
    return ZoneInfo("Europe/London")


def uk_time_text(value: datetime | str) -> str:
    """A moment as people in the UK read it, with its zone named: `06/12/2026 21:45 GMT`,
    `01/07/2026 10:05 BST`. A naive time is UTC (the Change log's `When (UTC)` and the journal hold UTC);
    ISO text is read first, and text that is not a time is returned as it is."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return value
    local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(uk_zone())
    return f"{day_text(local)} {local:%H:%M} {local.tzname()}"


def cell_text(value: object) -> str:
    """A cell's value as the text people read: dates as 31/01/2027, empty as '', line breaks as LF.

    Total over whatever a reader may return (times, durations, huge numbers), because its result goes
    into JSON, Slack messages and the Change log, where a value it cannot render would crash a write.
    A text, the common case (an update's conflict check and Change log rows ask about nine a plan), is
    answered first: it is none of the types asked about below.
    """
    if value.__class__ is str:
        return plain_newlines(value)
    if value is None:
        return ""
    if isinstance(value, datetime):
        if (value.hour, value.minute, value.second) == (0, 0, 0):
            return day_text(value)
        return f"{day_text(value)} {value.hour:02d}:{value.minute:02d}"
    if isinstance(value, date):
        return day_text(value)
    if isinstance(value, time):
        return f"{value.hour:02d}:{value.minute:02d}"
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    if isinstance(value, str):
        return plain_newlines(str(value))
    return str(value)


def shown(value: object, column: str | None = None) -> str:
    """A value as people read it in any chat: dates as 31/01/2027, also a date column's ISO text from a
    form or the journal (the Slack bot and the Teams bot show values the same way)."""
    if column in DATE_COLUMNS and isinstance(value, str) and value.strip():
        try:
            return parse_date(value).strftime("%d/%m/%Y")
        except DateParseError:
            return value
    return cell_text(value)


def short_text(value: object, width: int) -> str:
    """Cut to `width` at a word boundary, with an ellipsis (a list reads the same in every chat)."""
    return textwrap.shorten(cell_text(value), width, placeholder="…") if value else ""
