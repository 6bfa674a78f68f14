"""Slack's escaping rule, in one place: text from the workbook, the journal or a person is inert.

In a message's `text` and in every `mrkdwn` object Slack reads `<!channel>`, `<@U…>`, `<#C…>` and
`<https://…|label>` as live mentions and links. Slack's rule ("Escaping text") is to replace `&`, `<`
and `>` with `&amp;`, `&lt;` and `&gt;`, and nothing else: then the text shows as typed and notifies no
one. `plain_text` objects (headers, titles, option labels, an input's `initial_value`) are shown as
they are and are never escaped, or people would read `&lt;`.

Slack sends what people type escaped the same way (`A & B` arrives as `A &amp; B`), so what comes in
is turned back with `literal()` before it reaches the workbook; the local console does the same to show
a message as people read it.
"""

from __future__ import annotations

import re

_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ENTITY = re.compile(r"&(amp|lt|gt);")
_UNESCAPE = {"amp": "&", "lt": "<", "gt": ">"}
_PARTIAL_ENTITY = re.compile(r"&(?:a|am|amp|l|lt|g|gt)?$")


def inert(text: object) -> str:
    """`text` (any value; None is '') escaped for Slack `text`/`mrkdwn`, so nothing in it is live."""
    return "" if text is None else str(text).translate(_ESCAPE)


def literal(text: object) -> str:
    """The inverse of `inert()`: what a person reads (the console) or typed (Slack's escaped input)."""
    return _ENTITY.sub(lambda m: _UNESCAPE[m.group(1)], "" if text is None else str(text))


def clip(escaped: str, limit: int) -> str:
    """Escaped text cut to `limit` characters without leaving half an entity (`&am`) at the end."""
    if len(escaped) <= limit:
        return escaped
    return _PARTIAL_ENTITY.sub("", escaped[:limit])
