"""Plain text: every reply (`shared/usecases/replies/`) as lines for a terminal, with no chat markup.

The local console (`sli bot` without Slack) and `sli summary` print replies here. Slack's layout
(bot/blocks.py) uses `*bold*`, `_italics_` and `:emoji:` names, which a terminal shows as punctuation
and words (`:inbox_tray:`, `*Ask me…*`); this lays the same reply out as plain lines, with the same
words, numbers, dates and caveats (tests/test_replies.py checks each reply's `must_show()` here as in
both chats). Nothing is escaped: a terminal shows text as it is.

Commands are shown with `prefix` (the console's `/sli `); with `prefix=None` a reply's hint to type a
command is left out (the command line has no `/sli`).
"""

from __future__ import annotations

from shared.usecases import replies as r

INDENT = "  "


def render(reply: r.ChatReply, prefix: str | None = "/sli ", form_hint: str = "") -> str:
    """Any reply as plain lines; `form_hint` follows a form (what to type instead of filling it in)."""
    if isinstance(reply, r.NoticeReply):
        return reply.plain
    if isinstance(reply, r.HelpReply):
        return _help(reply, prefix or "")
    if isinstance(reply, r.RecommendationReply):
        return _recommendation(reply)
    if isinstance(reply, r.ListReply):
        return _list(reply)
    if isinstance(reply, r.ResultReply):
        return _result(reply)
    if isinstance(reply, r.FormReply):
        return _form(reply, form_hint)
    if isinstance(reply, r.SummaryReply):
        return _summary(reply, prefix)
    if isinstance(reply, r.ReminderReply):
        return _reminder(reply)
    if isinstance(reply, r.HomeReply):
        return "\n".join([reply.greeting, *(_item(item) for item in reply.items)])
    raise TypeError(f"not a reply: {type(reply).__name__}")


def _help(reply: r.HelpReply, prefix: str) -> str:
    lines = [reply.prefix] if reply.prefix else []
    lines.append(f"{reply.title}:")
    for line in reply.lines:
        alternative = f" (or {line.alternative})" if line.alternative else ""
        what = f": {line.what}" if line.what else ""
        lines.append(f"{INDENT}{' or '.join(prefix + c for c in line.commands)}{alternative}{what}")
    lines.append("In a direct message, plain words work too: " + ", ".join(f'"{w}"' for w in reply.plain_words)
                 + ".")
    return "\n".join(lines)


def _recommendation(reply: r.RecommendationReply) -> str:
    facts = " · ".join(f"{fact.label}: {fact.value}" for fact in reply.facts if not fact.status)
    lines = [f"{reply.ref} ({reply.status}): {reply.title}", facts]
    lines += [f"{part.label}: {part.text or f'({part.empty})'}" for part in reply.sections]
    lines.append(reply.footer + ".")
    return "\n".join(lines)


def _item(item: r.ListItem) -> str:
    """One recommendation on one line: ref, short title, then status, lead organisation, due date (overdue)."""
    return f"{item.ref} {item.title}: {item.status}{item.details}{' · overdue' if item.overdue else ''}"


def _list(reply: r.ListReply) -> str:
    if not reply.items:
        return reply.plain
    return "\n".join([f"{reply.heading}:", *(_item(item) for item in reply.items)])


def _result(reply: r.ResultReply) -> str:
    return reply.plain


def _form(reply: r.FormReply, hint: str) -> str:
    lines = [f"[form: {reply.title}]", f"{reply.ref}: {reply.heading}"]
    if reply.error:
        lines.append(f"{INDENT}! {reply.error}")
    for field in reply.fields:
        value = r.shown_or_empty(field.value, field.column) if field.value else ""
        choices = f" (one of {', '.join(field.choices)})" if field.choices else ""
        lines.append(f"{INDENT}{field.label}: {value}{choices}")
        if field.error:
            lines.append(f"{INDENT * 2}! {field.error}")
    if hint:
        lines.append(hint)
    return "\n".join(lines)


def _summary(reply: r.SummaryReply, prefix: str | None) -> str:
    lines = [reply.title, " · ".join(f"{c.status} {c.shown}" for c in reply.counts),
             f"({'; '.join((reply.comparison, *reply.caveats))})", "", f"{reply.CHANGED}: {reply.changed_line}"]
    lines += [f"{INDENT}{m.ref} {m.old} → {m.new} ({m.by}, via {m.via})" for m in reply.moves]
    lines += [f"{INDENT}…and {reply.more_moves} more"] if reply.more_moves else []
    if reply.overdue:
        lines += ["", reply.OVERDUE]
        lines += [f"{INDENT}{i.ref} {i.status}, due {i.due}: {i.text} ({i.lead})" for i in reply.overdue]
    if reply.stale:
        lines += ["", reply.stale_heading]
        lines += [f"{INDENT}{i.ref} last updated {i.last_updated} ({i.lead})" for i in reply.stale]
    if reply.waiting_line:
        lines += ["", f"{reply.WAITING}: {reply.waiting_line}"]
    hint = f" · {prefix}{reply.hint} for detail" if prefix is not None else ""
    lines += ["", f"{reply.as_at}{hint}"]
    return "\n".join(lines)


def _reminder(reply: r.ReminderReply) -> str:
    return "\n".join([reply.greeting, *(f"{INDENT}{i.ref} {i.title}: {i.status} · {i.due}" for i in reply.items)])
