"""WSGI entry point: `gunicorn 'wsgi:app'` and `flask --app wsgi …`."""

import gc

from intake import create_app

app = create_app()

# What the app built at start (routes, templates, mappers, the territory) lives as long as
# the process: out of the collector's sight, each full collection no longer walks it again
# between two requests (the standard library's advice for servers that build state first).
gc.freeze()
