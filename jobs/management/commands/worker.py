"""`manage.py worker`: run the background worker for the configured queue backend.

One command for `make run`, the Procfile and the systemd units, whatever TASKS_BACKEND says:
the database queue's `db_worker`, or RQ's `rqworker` with its scheduler (which releases the
deferred retries). Any number may run, on any machine that reaches the database (or Redis).
"""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run a background worker for the configured queue (TASKS_BACKEND)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="run the jobs that are due, then exit")

    def handle(self, *args, batch=False, **options):
        if settings.TASKS_BACKEND == "database":
            extra = {"batch": True} if batch else {}
            call_command("db_worker", startup_delay=False, reload=False, verbosity=options["verbosity"], **extra)
        elif settings.TASKS_BACKEND == "rq":
            call_command("rqworker", "default", with_scheduler=True, burst=batch, verbosity=options["verbosity"])
        else:
            raise CommandError(
                f"TASKS_BACKEND={settings.TASKS_BACKEND} runs jobs in the web process: no worker to start"
            )
