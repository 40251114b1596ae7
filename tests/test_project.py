"""Project-level guarantees: migrations match the models, production settings pass
`check --deploy`, and the server refuses to start without a secret key."""

import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from config.garbage import YOUNG_THRESHOLD

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "test-" + "k3y!" * 16,
    "ALLOWED_HOSTS": "notes.example.org",
    # The documented production settings (README, deploy/notes.env.example): PostgreSQL and
    # Redis shared by every machine. Nothing here connects to them.
    "DATABASE_URL": "postgres://notes@db.internal:5432/notes",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "TASKS_BACKEND": "rq",
}


def environ_with(env_update: dict) -> dict:
    """This process's environment without the test settings it carries, plus `env_update`."""
    inherited = {"DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {**{k: v for k, v in os.environ.items() if k not in inherited}, **env_update}


def manage(*args, env_update):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environ_with(env_update),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db
def test_no_model_change_lacks_its_migration():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exc:
        pytest.fail(f"models changed without a migration:\n{out.getvalue()}", pytrace=exc.code is None)


def test_check_deploy_is_clean_under_production_settings():
    result = manage("check", "--deploy", "--fail-level", "DEBUG", env_update=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_loads_under_gunicorns_settings():
    # gunicorn reads config/gunicorn.py and imports config.wsgi under production settings.
    env = environ_with(PRODUCTION_ENV)
    gunicorn = Path(sys.executable).parent / "gunicorn"
    result = subprocess.run(
        [str(gunicorn), "--check-config", "--print-config", "-c", "config/gunicorn.py", "config.wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^worker_class\s+= gthread$", result.stdout, re.M), result.stdout


def test_a_server_process_freezes_what_it_loaded_out_of_the_collectors_reach():
    # What gunicorn's workers (and runserver) import: config.wsgi, under production settings.
    # Every view is imported by then, and the loaded objects are in the permanent generation,
    # which no collection walks (config.garbage).
    script = (
        "import gc, sys; import config.wsgi;"
        "print(gc.get_freeze_count(), 'notes.views' in sys.modules, gc.get_threshold()[0])"
    )
    env = environ_with(PRODUCTION_ENV)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    frozen, has_views, young = result.stdout.split()
    assert has_views == "True"
    assert int(frozen) > 50_000, frozen  # Django and the site: about 100,000 objects
    assert int(young) == YOUNG_THRESHOLD


def test_production_refuses_to_start_without_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = manage("check", env_update=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_bad_boolean_setting_is_named():
    result = manage("check", env_update={"DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_vendored_katex_assets_match_the_engine_version():
    from notes.rendering.katex import katex_version

    vendored = (ROOT / "static" / "vendor" / "katex" / "VERSION").read_text().strip()
    pinned = __import__("json").loads((ROOT / "package.json").read_text())["dependencies"]["katex"]
    assert katex_version() == vendored == pinned
    fonts = list((ROOT / "static" / "vendor" / "katex" / "fonts").glob("*.woff2"))
    assert len(fonts) == 20
    css = (ROOT / "static" / "vendor" / "katex" / "katex.min.css").read_text()
    assert ".woff)" not in css and ".ttf)" not in css  # only the vendored woff2 files are referenced


def test_redis_url_switches_the_cache_to_redis():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])",
        env_update={"REDIS_URL": "redis://127.0.0.1:6379/0"},
    )
    assert result.stdout.strip().splitlines()[-1] == "config.cache.ForgivingRedisCache", result.stderr
