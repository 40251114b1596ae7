"""Shared fixtures: named people (as in healthchecks' alice/bob/charlie) and notes written
through the real services, rendered by the real pipeline with real KaTeX."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User

from notes.editorial.services import editors_group_ensure, note_publish
from notes.formula_store import formulas_forget
from notes.models import Note, Topic
from notes.selectors import LiveNoteIndex
from notes.services import revision_create

# The starter notes and their numerical checks.
CORPUS = Path(__file__).resolve().parent.parent / "notes" / "corpus"

# The "spread bomb": each formula stays under KaTeX's per-formula maxExpand (585 expansions),
# and expands to about 28,000 tokens; 1,600 of them would make KaTeX build gigabytes.
BOMB_MACROS = (
    "$"
    + r"\gdef\za{" + r"\frac{x}{y}" * 8 + "}"
    + r"\gdef\zb{" + r"\za" * 8 + "}"
    + r"\gdef\zc{" + r"\zb" * 8 + "}"
    + r"\gdef\zd{" + r"\zc" * 8 + "}"
    + "$"
)  # fmt: skip

# Numerical code (checks, numbers_ and figure_ functions, mutants) uses no database: CI's
# PostgreSQL pass does not repeat it.
on_sqlite_only = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="numerical code uses no database; it runs in the SQLite pass",
)

AREAS = ["foundations", "optimization", "information-theory", "architectures", "generative-modeling"]


def note_source(title="A note", *, body="Some text.", topics=("foundations",), prerequisites=(), summary=None):
    prereq = f"prerequisites: [{', '.join(prerequisites)}]\n" if prerequisites else ""
    return (
        f"---\ntitle: {title}\nsummary: {summary or 'Summary of ' + title}\n"
        f"topics: [{', '.join(topics)}]\n{prereq}---\n\n{textwrap.dedent(body).strip()}\n"
    )


@pytest.fixture(autouse=True)
def formula_memo_empty():
    """Each test starts with this process's memo of formulas empty, as its table is: an entry
    another test's rolled-back render kept must not stand in for the table."""
    formulas_forget()
    yield
    formulas_forget()


@pytest.fixture
def areas(db):
    return [
        Topic.objects.create(slug=slug, title=slug.replace("-", " ").title(), order=i) for i, slug in enumerate(AREAS)
    ]


@pytest.fixture
def editor(db):
    user = User.objects.create_user("alice", "alice@example.com", "alice-password-1")
    user.groups.add(editors_group_ensure())
    return user


@pytest.fixture
def reader(db):
    return User.objects.create_user("bob", "bob@example.com", "bob-password-1")


@pytest.fixture
def stranger(db):
    return User.objects.create_user("charlie", "charlie@example.com", "charlie-password-1")


@pytest.fixture
def publish(areas, editor):
    """publish(slug, source) -> the live revision, written and published via the services."""

    def _publish(slug, source, *, author=None):
        note, _ = Note.objects.get_or_create(slug=slug)
        revision = revision_create(note=note, source=source, author=author or editor, index=LiveNoteIndex())
        assert revision is not None, "source unchanged"
        assert not revision.errors, revision.errors
        return note_publish(revision=revision, user=None, refresh_citing=False)

    return _publish


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Tests are about behaviour, not hash strength; the default hasher costs ~0.3 s a call.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _jobs_run_at_once(settings, request):
    # Background jobs run inside the request that queues them, so a test sees their outcome
    # when the call returns; tests of the queue itself (marked `queue`) keep the settings' backend.
    if "queue" not in request.keywords:
        settings.TASKS = IMMEDIATE_TASKS


@pytest.fixture(autouse=True)
def _empty_cache():
    # Rolled-back test transactions reuse primary keys, so cached pages must not outlive a test.
    from django.core.cache import cache

    from notes import page_cache, selectors

    cache.clear()
    page_cache.recent.clear()  # the process's own copies of reader pages
    selectors.live_infos.clear()  # and of what links need of live revisions
    yield
    cache.clear()
    page_cache.recent.clear()
    selectors.live_infos.clear()


@pytest.fixture
def reviewer(db):
    from notes.editorial.services import reviewers_group

    user = User.objects.create_user("rita", "rita@example.com", "rita-password-1")
    user.groups.add(reviewers_group())
    return user


def database_url() -> str:
    """The test database as a DATABASE_URL, for a process of the site started by a test (which
    must use `transactional_db`: the process sees only what is committed)."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def run_queue_worker(*, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """A real worker process (`manage.py worker --batch`, the database queue) on the test
    database: runs every job that is due, then exits."""
    env = {**os.environ, "DATABASE_URL": database_url(), "TASKS_BACKEND": "database", **(env or {})}
    command = [sys.executable, "manage.py", "worker", "--batch"]
    done = subprocess.run(command, cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return done
