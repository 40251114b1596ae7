"""The benchmarks' scratch database: made fresh, set up for Django, migrated (with the starter
corpus imported when asked), and removed at the end.

A benchmark names its database by URL. A PostgreSQL one (`postgres_url(name)`: a database on
the local server, user postgres) is dropped if it is left over from an earlier run, created,
and dropped at the end. A SQLite one is a file, deleted (with its -wal and -shm files) before
and after. With no URL, a SQLite file in a new temporary folder, removed with the folder; a
benchmark may keep other files of its run there too (`Scratch.folder`).

    with scratch_database(postgres_url("notes_bench_plan"), keep=args.keep):
        ...  # Django is set up on the scratch database, migrated

A benchmark that runs manage.py in processes of its own passes setup=False and gives them
`Scratch.url` as DATABASE_URL. `django_setup` alone is Django on the project's own settings,
for a benchmark that needs no database.
"""

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = "postgres://postgres@127.0.0.1:5432"
CORPUS = ROOT / "notes" / "corpus"


class ScratchError(Exception):
    """The scratch database cannot be made or migrated: the benchmark cannot run."""


@dataclass(frozen=True)
class Scratch:
    url: str
    folder: Path | None  # the temporary folder of a SQLite database made for the run, if any


def postgres_url(name: str) -> str:
    return f"{POSTGRES}/{name}"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def django_setup(database_url: str | None = None, **environ: str) -> None:
    """Django on config.settings, with the database at `database_url` (default: the settings'
    own) and any other settings the environment gives (`environ`, e.g. ALLOWED_HOSTS)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if database_url is not None:
        os.environ["DATABASE_URL"] = database_url
    os.environ.update(environ)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()


def _postgres_admin(url: str, statement: str) -> None:
    """`statement` (CREATE or DROP DATABASE) for the database of `url`, on its server."""
    import psycopg

    server, _ = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(statement)


def _remove(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    if url.startswith("postgres"):
        # FORCE: a connection left open (a server the benchmark started) does not keep it.
        _postgres_admin(url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    else:
        path = url.removeprefix("sqlite:///")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def _create(url: str) -> None:
    try:
        _remove(url)  # left over from an interrupted or --keep run
        if url.startswith("postgres"):
            _postgres_admin(url, f"CREATE DATABASE {url.rsplit('/', 1)[1]}")
    except Exception as error:  # any driver or server error means the benchmark cannot run
        where = f"PostgreSQL at {url.rsplit('/', 1)[0]}" if url.startswith("postgres") else url
        raise ScratchError(f"{where}: {error}") from error


@contextmanager
def scratch_database(
    url: str | None = None,
    *,
    keep: bool = False,
    setup: bool = True,
    corpus: bool = False,
    prefix: str = "bench-",
    **environ: str,
) -> Iterator[Scratch]:
    """A fresh scratch database at `url` for the `with` block, removed afterwards unless `keep`.

    `url` None: a SQLite file in a new temporary folder named with `prefix`. With `setup`,
    Django is set up on it (`django_setup`, with `environ`) and migrated, and with `corpus`
    the starter corpus (notes/corpus) is imported. ScratchError when it cannot be made
    (PostgreSQL unreachable) or migrated.
    """
    folder = None
    if url is None:
        folder = Path(tempfile.mkdtemp(prefix=prefix))
        url = sqlite_url(folder / "bench.sqlite3")
    try:
        _create(url)
        try:
            if setup:
                django_setup(url, **environ)
                from django.core.management import call_command

                try:
                    call_command("migrate", verbosity=0)
                except Exception as error:
                    raise ScratchError(f"migrate: {error}") from error
                if corpus:
                    call_command("import_notes", str(CORPUS), verbosity=0)
            yield Scratch(url, folder)
        finally:
            if setup:
                from django.db import connections

                connections.close_all()
            if not keep:
                _remove(url)
    finally:
        if folder is not None and not keep:
            shutil.rmtree(folder, ignore_errors=True)
