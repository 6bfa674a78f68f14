"""Reading a text for NHS numbers (the rule `nhs_number`): digit groups read as one number, and the check."""

from __future__ import annotations

import re

from shared.domain.rules.nhs_shapes import (
    _DASHES,
    _DIGITS,
    _HSPACE,
    _LINE_BREAKS,
    _digits_form,
    _set_aside,
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

#: Digit groups and what separates them: any characters but letters and digits.
_RUN = re.compile(r"(?<![0-9])[0-9]+(?:(?:\W|_)+[0-9]+)*")
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
_BREAK = rf"{_HSPACE}*-?{_HSPACE}*(?:\r\n|[{_LINE_BREAKS}]){_HSPACE}*"
_LINE_BREAK_IN_NUMBER = re.compile(rf"(?<=[0-9]){_BREAK}(?=[0-9])")
#: Digits over two or more lines, a break between digits on each (`476` / `5919`).
_LINES_OF_DIGITS = re.compile(rf"(?<![0-9])[0-9]+(?:{_BREAK}[0-9]+)+")


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
    if sum(map(read.count, "0123456789")) < 10:  # every candidate is ten of the text's digits: none here
        return []
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


def nhs_number_valid(digits: str) -> bool:
    """The NHS number's modulus-11 check: weights 10..2 on the first nine digits."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])
