"""What people do with Appendix 1, one function each: the only door the front ends (the `sli` command line,
the Slack and Teams bots, the Excel add-in) go through. A front end parses a request, calls one of these,
and renders what comes back; it never touches the journal, the package, the lock or the clock.

A front end builds one `Context` at start-up (`context(settings)`: the workbook's `Store`, a unit-of-work
factory, the clock) and passes it as every use case's first argument (a bare `Store` still works: the file
and the system clock). The use cases live in rooms by subject:

- asking.py: `appendix`, `find`, `list_rows`, `ask` (a chat's questions), `waiting`, `pending_count`, `history`
- checking.py: `validate` (a file, or the workbook open in Excel: an `OpenBook`)
- updating.py: `open_form`, `prepare` → `record` → `commit` (`submit`, `record_request`), `process_pending`
  (`sli sync`), `apply_to_open_book` (the add-in's *Apply pending updates*)
- telling.py: `tell_senders`, `tell_once`, `write_waiting`
- conversations.py: conversation references, `post_once`, `posted`, `first_time`, `replay_keys_since`
- reporting.py: the month's figures and charts, `post_month`, reminders, `write_report`, `export`
- assuring.py: `claim_of`, `claim_notice` (whom to ask), `record_assurance` / `record_send_back` → `commit`
  (`assure`, `send_back` at once), `sent_back_notice` (whom to tell), `assurance_reminders`, `assurance_items`,
  `board_rows` (a board's paper)
- files.py: `init_workbook` (`sli workbook init`), `write_file`, `add_sample_history` (the trial copy's year)
- purging.py: `purge` (`sli purge`: what the journal need no longer keep)
- remote.py: `graph_login`, `graph_check` (`sli graph`: a workbook in SharePoint or OneDrive, shared/graph/)
- replies/: what the chats say, once for both (Slack blocks and Teams cards lay it out)

An update, walked through: `prepare` (ref, permission, values, rules: once, in the domain) → `record`
(journalled: from here it is never lost) → `commit` (inside the unit of work, after the updates that arrived
before it: conflict check, plan, writer, Change log, atomic save): shared/usecases/updating.py,
shared/domain/update.py and shared/uow.py.
"""

from __future__ import annotations

import importlib

from shared.domain.assurance import BoardError, shown_status
from shared.domain.update import EXCEL_EDITOR, NOT_RECORDED, UpdateRequest, UpdateResult, result_of
from shared.journal import CHAT_TIMEOUT_SECONDS, EntryTooLarge, JournalUnavailable
from shared.outputs import OutputError
from shared.reader import WorkbookError
from shared.settings import Settings
from shared.uow import AbstractUnitOfWork, Clock, Context, Store, as_context, fixed_clock, system_clock
from shared.usecases.asking import History, Reply, appendix, ask, find, history, list_rows, pending_count, waiting
from shared.usecases.assuring import (
    WAITING_DAYS,
    AssuranceItem,
    AssuranceReminder,
    AssuranceRequest,
    Claim,
    ClaimNotice,
    SentBackNotice,
    assurance_items,
    assurance_reminders,
    assure,
    board_rows,
    claim_notice,
    claim_of,
    record_assurance,
    record_send_back,
    send_back,
    sent_back_notice,
)
from shared.usecases.checking import OpenBook, validate
from shared.usecases.conversations import (
    Posted,
    conversation,
    conversations,
    first_time,
    forget_conversation,
    keep_conversation,
    post_once,
    posted,
    replay_keys_since,
)
from shared.usecases.operations import (
    Backup,
    Check,
    OperationError,
    Readiness,
    Restored,
    ServiceRunning,
    backup,
    check_backup,
    readiness,
    restore,
    server_running,
    service_lock_path,
    serving,
)
from shared.usecases.purging import Purged, purge
from shared.usecases.telling import tell_once, tell_senders, write_waiting
from shared.usecases.updating import (
    LOCK_HELD,
    Form,
    apply_to_open_book,
    change_log_editor,
    commit,
    deliver_to_open_book,
    open_form,
    prepare,
    process_pending,
    record,
    record_request,
    submit,
    submit_as_person,
    submit_update,
    unreadable_refusal,
    view_mark,
)
from shared.xlsx import PackageError

#: Use cases whose rooms import pandas, matplotlib, python-docx or openpyxl: loaded the first time one is asked
#: for (`usecases.export`, `from shared.usecases import write_report`), so a bot answering questions and
#: recording updates never pays for them (tens of megabytes, about a second).
_LATER = {"files": ("add_sample_history", "init_workbook", "write_file"),
          "reporting": ("MonthFigures", "MonthSummary", "Reminder", "export", "heavy_work_in_workers", "month_asked",
                        "month_figures", "month_summary", "post_month", "post_month_summary", "reminders_due",
                        "status_chart", "trend_chart", "write_report", "write_summary_charts"),
          "remote": ("GraphCheck", "NotRemote", "graph_check", "graph_login")}


def __getattr__(name: str) -> object:
    for room, names in _LATER.items():
        if name in names:
            return getattr(importlib.import_module(f"shared.usecases.{room}"), name)
    raise AttributeError(f"module 'shared.usecases' has no attribute '{name}'")


def context(settings: Settings | Store, clock: Clock = system_clock) -> Context:
    """The context a front end builds once from its settings (or a `Store`) and holds: the workbook file,
    its units of work, and the system clock (or `clock`)."""
    store = settings.store() if isinstance(settings, Settings) else settings
    if isinstance(settings, Settings) and settings.graph is not None:  # SharePoint or OneDrive (shared/graph/)
        from shared.graph.connect import remote_workbook
        from shared.graph.uow import graph_context

        return graph_context(store, remote_workbook(settings.graph), clock)
    return Context.for_store(store, clock)


__all__ = [
    # the context and what it is made of
    "AbstractUnitOfWork", "Clock", "Context", "Store", "as_context", "context", "fixed_clock", "system_clock",
    # errors front ends catch (settings' own: shared.settings.SettingsError)
    "EntryTooLarge", "JournalUnavailable", "OutputError", "PackageError", "WorkbookError",
    # the words of updates
    "CHAT_TIMEOUT_SECONDS", "EXCEL_EDITOR", "LOCK_HELD", "NOT_RECORDED", "UpdateRequest", "UpdateResult", "result_of",
    # asking
    "History", "Reply", "appendix", "ask", "find", "history", "list_rows", "pending_count", "waiting",
    # checking
    "OpenBook", "validate",
    # updating
    "Form", "apply_to_open_book", "change_log_editor", "commit", "deliver_to_open_book", "open_form", "prepare",
    "process_pending", "record", "record_request", "submit", "submit_as_person", "submit_update",
    "unreadable_refusal", "view_mark",
    # assuring
    "WAITING_DAYS", "AssuranceItem", "AssuranceReminder", "AssuranceRequest", "BoardError", "Claim", "ClaimNotice",
    "SentBackNotice", "assurance_items", "assurance_reminders", "assure", "board_rows", "claim_notice", "claim_of",
    "record_assurance", "record_send_back", "send_back", "sent_back_notice", "shown_status",
    # telling
    "tell_once", "tell_senders", "write_waiting",
    # conversations and posting once
    "Posted", "conversation", "conversations", "first_time", "forget_conversation", "keep_conversation",
    "post_once", "posted", "replay_keys_since",
    # reporting
    "MonthFigures", "MonthSummary", "Reminder", "export", "heavy_work_in_workers", "month_asked", "month_figures",
    "month_summary", "post_month", "post_month_summary", "reminders_due", "status_chart", "trend_chart",
    "write_report", "write_summary_charts",
    # files
    "add_sample_history", "init_workbook", "write_file",
    # purging
    "Purged", "purge",
    # the workbook in SharePoint or OneDrive (sli graph login, check)
    "GraphCheck", "NotRemote", "graph_check", "graph_login",
    # operations (IT: sli serve, backup, restore)
    "Backup", "Check", "OperationError", "Readiness", "Restored", "ServiceRunning", "backup", "check_backup",
    "readiness", "restore", "server_running", "service_lock_path", "serving",
]
