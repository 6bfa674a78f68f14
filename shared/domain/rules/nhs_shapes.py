"""What is set aside before NHS numbers are read (step 2 in nhs_numbers.py): phone numbers, dates, times,
money, ISBNs, decimals; kept apart from the reading of digit groups so each stays short."""

from __future__ import annotations

import re
import unicodedata

_HSPACE = r"[^\S\r\n]"
_DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2212"
_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_DIGITS = re.compile(r"[0-9]+")
_TEN_DIGITS = re.compile(r"[0-9]{10}(?![0-9])")
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
