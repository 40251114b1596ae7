"""gunicorn's settings for this site: `gunicorn -c config/gunicorn.py config.wsgi`.

Threaded workers (gthread): a request waiting on the database or the cache holds one thread,
not a whole process, so a slow dependency cannot take every worker at once. A process per
core plus one, each with a few threads; each process typesets on its own pool of
KATEX_ENGINES V8 engines (default: one per core; notes.rendering.pool), which bounds the memory
a burst of renders can take; formulas already typeset come from the formula cache. Workers
are recycled after a number of requests, with jitter so they do not all restart together,
which returns whatever a long-lived process has accumulated.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() + 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
# A request still running after this many seconds is killed with its worker: every bound
# inside (database 2.5 s, KaTeX 10 s a call and 20 s a note, checks in their own processes)
# is below it.
timeout = 30
graceful_timeout = 10
keepalive = 5
max_requests = 2000
max_requests_jitter = 200
