"""The text rules: formulas, control and invisible characters, length, patient data in what officers write."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

from shared.domain import schema as s
from shared.domain.rules.findings import ERROR, MAX_TEXT, WARNING, Finding
from shared.domain.rules.nhs_numbers import nhs_number_candidates, nhs_number_valid

#: Columns whose text is checked for formulas, control characters, length and patient data.
TEXT_COLUMNS = (s.RECOMMENDATION, s.LEAD_OFFICER, s.SUMMARY, s.NEXT_STEPS, s.UPDATED_BY)

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


#: How many texts' findings are kept (`_kept_problems`): a row's text columns, before and after an update, and
#: the rows updated last. Only texts up to MAX_TEXT characters are kept, so at most ~1 MB of text is held.
_KEEP_TEXTS = 128


def _text_findings(text: str, cell: str, column: str, ref: str) -> list[Finding]:
    """The text rules' findings on one cell's text. What they find depends on the text and its column only
    (the cell and ref just place it), and a row's text is checked as it was and as it would be at every
    update, mostly unchanged (the NHS-number scan of a long text is most of the rules' time): so the
    findings of recent texts are kept per process (`_kept_problems`), bounded."""
    return [Finding(cell, severity, message, rule, column, ref)
            for severity, rule, message in _text_problems(text, column)]


def _text_problems(text: str, column: str) -> tuple[tuple[str, str, str], ...]:
    """(severity, rule, message) of each text rule `text` in `column` breaks: kept for texts up to MAX_TEXT
    (`_kept_problems`). A row's check asks this first and places findings only when there are any (most
    texts break no rule, and where a cell is cost more than asking)."""
    return _kept_problems(text, column) if len(text) <= MAX_TEXT else _problems(text, column)


@functools.lru_cache(maxsize=_KEEP_TEXTS)
def _kept_problems(text: str, column: str) -> tuple[tuple[str, str, str], ...]:
    """`_problems`, kept for the next check of the same text in the same column."""
    return _problems(text, column)


def _problems(text: str, column: str) -> tuple[tuple[str, str, str], ...]:
    """(severity, rule, message) of each text rule that `text` in `column` breaks."""
    found: list[tuple[str, str, str]] = []

    def add(severity: str, rule: str, message: str) -> None:
        found.append((severity, rule, message))

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
    return tuple(found)


def check_text(text: str, column: str, cell: str = "", ref: str = "") -> list[Finding]:
    """The text rules alone, for a value someone typed before it reaches a row."""
    return _text_findings(text, cell, column, ref)
