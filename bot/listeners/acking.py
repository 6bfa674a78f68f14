"""Acknowledge a request the moment its listener has, and go on with the rest of its work in a thread.

Why: Bolt's default (`process_before_response=False`) runs the listener in its executor and waits for the
ack by polling every 10 ms, so even an answer ready in 2 ms is acknowledged after 10. The app runs with
`process_before_response=True` instead (Bolt then runs the listener in the request's own thread and answers
when it returns), and each listener is registered through `early`: it still runs in Bolt's listener
executor, and the request's thread waits on an event set by its `ack()` (or by its end), not on a poll.
What a listener does after its ack (the answer to a question, a modal opened, an update's outcome told
later) therefore never holds the acknowledgement back, and Slack's 3-second rule holds as before.

Events are acknowledged before their listener starts, as Bolt does without `process_before_response`.
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from slack_bolt import App, Args

log = logging.getLogger("sli.bot")
#: How long a request's thread waits for its listener's ack: under Slack's 3 s, so a listener that never
#: acks is answered (Bolt's "unhandled request") while Slack still listens, as Bolt's own 3 s wait did.
ACK_WAIT_SECONDS = 2.5


def early(app: App, listener: Callable[..., Any], *, event: bool = False) -> Callable[[Args], None]:
    """`listener` (any of Bolt's argument names) as a listener Bolt runs before responding: it returns as soon
    as `listener` has acked (or, for an `event`, at once), the listener carrying on in Bolt's executor.
    A listener failing before its ack fails the request as Bolt would (its error handler, a 500)."""
    names = list(inspect.signature(listener).parameters)
    executor = app.listener_runner.listener_executor

    def acknowledged_early(args: Args) -> None:
        acked, given_up = threading.Event(), threading.Event()
        ack = args.ack

        def acking(*given: Any, **options: Any) -> Any:
            try:
                return ack(*given, **options)
            finally:
                acked.set()
                time.sleep(0)  # let the request's thread take the GIL now, not when this work next waits on I/O

        if event:
            acking()
        work: Future = executor.submit(listener, **{name: acking if name == "ack" else getattr(args, name)
                                                   for name in names})

        def ended(done: Future) -> None:
            problem = done.exception()
            if problem is not None and (ack.response is not None or given_up.is_set()):  # only the log hears it
                log.error("listener %s failed after the request was answered", listener.__name__, exc_info=problem)
            acked.set()

        work.add_done_callback(ended)
        if not acked.wait(ACK_WAIT_SECONDS):
            given_up.set()
        if ack.response is None and work.done() and work.exception() is not None:
            raise work.exception()  # before any ack: Bolt's error handler answers, as without this

    acknowledged_early.__name__ = acknowledged_early.__qualname__ = listener.__name__
    return acknowledged_early
