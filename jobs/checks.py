"""`manage.py check --deploy`: what several web processes and machines must share.

Every gunicorn worker is a process of its own, and every machine has its own disk. The cache
carries the cached pages, their invalidation tokens, the rate limits and the graph layout's
version between them; the database carries everything else, the job queue included. A cache
kept in each process (Django's default without REDIS_URL) or a SQLite file on one disk works
for one process on one machine, and silently serves stale pages or loses work beyond it, so
a production configuration (DEBUG off) is warned about both.
"""

from django.conf import settings
from django.core import checks

PROCESS_LOCAL_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
    "django.core.cache.backends.filebased.FileBasedCache",
}


@checks.register(checks.Tags.caches, deploy=True)
def shared_cache_check(app_configs=None, **kwargs):
    backend = settings.CACHES["default"]["BACKEND"]
    if settings.DEBUG or backend not in PROCESS_LOCAL_CACHES:
        return []
    return [
        checks.Warning(
            f"The cache ({backend.rpartition('.')[2]}) is not shared between processes: each gunicorn "
            "worker and each machine keeps its own cached pages and rate limits, and an invalidation "
            "reaches only the process that made it.",
            hint="Set REDIS_URL (one Redis for every web machine and worker).",
            id="jobs.W001",
        )
    ]


@checks.register(checks.Tags.database, deploy=True)
def shared_database_check(app_configs=None, **kwargs):
    engine = settings.DATABASES["default"]["ENGINE"]
    if settings.DEBUG or not engine.endswith("sqlite3"):
        return []
    return [
        checks.Warning(
            "The database is a SQLite file on this machine's disk: a second web machine or worker "
            "machine cannot share it, and writers queue behind one lock.",
            hint="Set DATABASE_URL to PostgreSQL (postgres://user:password@host:5432/name).",
            id="jobs.W002",
        )
    ]
