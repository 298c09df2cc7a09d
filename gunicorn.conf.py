"""Production's gunicorn settings, read by `gunicorn 'wsgi:app'` run from this folder.

gunicorn reads `./gunicorn.conf.py` by default, so the README's command and the tests'
production server (tests/support/production.py, started here) run with these same settings;
options given on the command line still win over them.

Why these:

- Threads (`gthread`): a sync worker serves one request at a time, so two exports of
  100,000 referrals held both workers for minutes and every page of every coordinator
  waited behind them (57 s for a queue page). With threads, a worker goes on serving pages
  while one of its threads streams an export.
- `timeout`: a sync worker is killed when one request outlasts it, which killed the
  spreadsheet export at 30 s; a threaded worker's main loop answers the arbiter while its
  threads work, so the timeout only catches a worker that is stuck. 120 s leaves room for a
  request that holds a thread up to then on a loaded machine, yet restarts a stuck worker.
- `graceful_timeout`: on a restart (a deployment), an export under way gets as long to end.
"""

import os

worker_class = "gthread"
# One process per CPU of the measured machine (2): threads give the concurrency, processes
# the CPUs (the interpreter runs one thread of a process at a time). WEB_CONCURRENCY, the
# variable gunicorn honours when no file sets it, may still change it.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2)
threads = 4
timeout = 120
graceful_timeout = 120


def post_worker_init(worker):
    """Exports in processes of their own, at a lower priority than the pages
    (intake/triage/apart.py says why and how): started once the worker has built the app."""
    from intake.triage import apart

    apart.start(worker.app.app_uri)
