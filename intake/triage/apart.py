"""Exports made in processes of their own, at a lower CPU priority than the pages.

An export of 100,000 referrals is seconds of Python work a row at a time. In a thread of the
worker that serves the pages, it shares that process's interpreter lock with them: each
time a page's thread waits for the database, the export takes the lock back, and the page
waits for it again (up to 5 ms, the interpreter's switch interval) after every query. And two
exports keep both CPUs of a small server busy at the pages' own priority. Measured with six
coordinators browsing the queue while two such exports ran (gunicorn, two workers of four
threads, SQLite): the queue's p95 went from 19 to 72 ms (3.9×) with the exports in the
workers' threads, 2.2× with those threads at a lower priority, 1.45× with the exports
served by another gunicorn at a lower priority, the arrangement this module builds inside
each worker.

Under gunicorn, gunicorn.conf.py calls `start("wsgi:app")` in each worker: a fork server
imports the app once (multiprocessing's "forkserver": a clean process, not a copy of the
threaded worker); each export forks a process from it, which writes the export with the
app's own code (`exports.export_chunks`, read log included) and sends the chunks through a
pipe, at the lowest priority (`step_aside`) once its first bytes have gone. The request's thread
only passes them on, waiting on the pipe without the interpreter's lock. The pipe's buffer
is all that is held between the two: the export writes no faster than the client reads. A
client that leaves closes the pipe; the export's next send fails, and it logs itself
`interrupted` as it does in a thread.

Without `start` (the tests' client, `flask run`), exports run in the request's thread.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from multiprocessing.connection import Connection
from typing import Any

from werkzeug.utils import import_string

from intake.extensions import db
from intake.triage.exports import export_chunks
from intake.triage.filters import QueueFilters

# Added to an export's niceness where SCHED_IDLE is missing (`step_aside`): the scheduler
# then gives a page's thread about ten times its share of a busy CPU (Linux weighs nice 0 at
# 1024, nice 10 at 110). An export alone on the machine runs at full speed all the same.
NICE = 10

# Seconds an export's process has to end once its client has gone, before it is stopped.
STOP_TIMEOUT = 10.0

# This process's fork server and the app it imported ("wsgi:app"), once `start` has run.
_started: dict[str, Any] = {}


def start(app_path: str) -> None:
    """Make this process's exports run apart: a fork server that imports the module of
    `app_path` ("wsgi:app") now, in the background, so that the first export does not wait
    for the app to be built."""
    from multiprocessing import forkserver

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([app_path.partition(":")[0]])
    forkserver.ensure_running()
    _started.update(context=context, app_path=app_path)


def running() -> bool:
    """Whether exports run in processes of their own here."""
    return bool(_started)


def chunks(kind: str, filters: QueueFilters, user_id: int) -> Iterator[bytes]:
    """The export's chunks as its own process writes them. Its process starts when the
    first chunk is asked for, and is waited for (or stopped) when the last has been taken
    or the response is closed."""
    context = _started["context"]
    receiving, sending = context.Pipe(duplex=False)
    process = context.Process(
        target=export,
        args=(sending, _started["app_path"], kind, filters, user_id),
        daemon=True,
    )
    try:
        process.start()
        sending.close()  # the export's process holds its end; EOF once it has closed it
        while True:
            try:
                chunk = receiving.recv_bytes()
            except EOFError:
                return
            yield chunk
    finally:
        receiving.close()
        if process.pid is not None:
            process.join(STOP_TIMEOUT)
            if process.exitcode is None:
                process.terminate()
                process.join()


def step_aside() -> None:
    """Run this process only on CPU time the pages leave: Linux's SCHED_IDLE, under which a
    page's thread that wakes up takes the CPU at once, where a nice process keeps it to the
    end of its slice; a lower niceness where the policy is missing. Lowering one's own
    priority needs no privilege."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        os.nice(NICE)


def export(sending: Connection, app_path: str, kind: str, filters: QueueFilters, user_id: int):
    """In the export's own process: write the export into `sending`, at a lower priority
    once its first bytes have gone (they cost nothing, and should not wait for a busy CPU)."""
    app = import_string(app_path)
    # A request's context, as in a thread: Flask-Babel's translations and the app's logger.
    with app.test_request_context():
        # Connections the fork server's app may have opened are its own, not this copy's.
        db.engine.dispose(close=False)
        parts = export_chunks(kind, filters, user_id, app.extensions["territory"])
        try:
            for number, part in enumerate(parts):
                sending.send_bytes(part.encode() if isinstance(part, str) else part)
                if number == 0:
                    step_aside()
        except OSError:
            pass  # the client has gone (BrokenPipeError): closing `parts` logs it so
        finally:
            parts.close()
            sending.close()
            db.session.remove()
