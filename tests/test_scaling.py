"""What running on several machines needs from the settings: `check --deploy` warns about a
cache or database that only one process or disk has; uploaded images go through the default
storage, the file system unless an S3-compatible bucket is configured."""

import io
import json
import os
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image

from tests.test_project import PRODUCTION_ENV, manage

SINGLE_MACHINE = {
    **{k: v for k, v in PRODUCTION_ENV.items() if k not in {"REDIS_URL", "TASKS_BACKEND"}},
    "DATABASE_URL": "sqlite:////tmp/deploy-check.sqlite3",
}


def test_check_deploy_warns_about_a_per_process_cache_and_a_sqlite_database():
    result = manage("check", "--deploy", env_update=SINGLE_MACHINE)
    assert "jobs.W001" in result.stderr and "Set REDIS_URL" in result.stderr
    assert "jobs.W002" in result.stderr and "Set DATABASE_URL to PostgreSQL" in result.stderr
    shared_cache = manage(
        "check", "--deploy", env_update={**SINGLE_MACHINE, "REDIS_URL": "redis://cache.internal:6379/0"}
    )
    assert "jobs.W001" not in shared_cache.stderr and "jobs.W002" in shared_cache.stderr


def test_development_settings_are_not_warned_about():
    result = manage("check", env_update={"DEBUG": "1", "DATABASE_URL": "sqlite:////tmp/deploy-check.sqlite3"})
    assert result.returncode == 0 and "jobs.W00" not in result.stdout + result.stderr


S3_PROBE = """
import json
from django.conf import settings
from django.core.files.storage import default_storage, storages
print(json.dumps({
    "backend": settings.STORAGES["default"]["BACKEND"],
    "class": type(storages["default"]).__name__,
    "bucket": default_storage.bucket_name,
    "endpoint": default_storage.endpoint_url,
    "url": default_storage.url("uploads/a b.png"),
    "img_src": settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"],
}))
"""


def s3_settings(**environ: str) -> dict:
    # Credentials as boto3 reads them; signing a URL is local, nothing here reaches a server.
    env = {"STORAGE_S3_BUCKET": "notes-media", "AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "secret", **environ}
    result = manage("shell", "-c", S3_PROBE, env_update=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_an_s3_bucket_in_the_environment_makes_the_default_storage_s3():
    found = s3_settings(AWS_S3_ENDPOINT_URL="http://objects.internal:9000")
    assert found["backend"] == "storages.backends.s3.S3Storage" and found["class"] == "S3Storage"
    assert found["bucket"] == "notes-media" and found["endpoint"] == "http://objects.internal:9000"
    # A plain URL, not a signed one that would expire inside a note's source; and the
    # Content-Security-Policy lets pages show images from there.
    assert found["url"] == "http://objects.internal:9000/notes-media/uploads/a%20b.png"
    assert "http://objects.internal:9000" in found["img_src"]


def test_a_custom_domain_in_front_of_the_bucket_is_where_images_are_read():
    found = s3_settings(STORAGE_S3_CUSTOM_DOMAIN="media.example.org")
    assert found["url"] == "https://media.example.org/uploads/a%20b.png"
    assert "https://media.example.org" in found["img_src"]


def test_an_upload_is_stored_through_the_default_storage(client, editor, areas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    assert settings.STORAGES["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    image = io.BytesIO()
    Image.new("RGB", (3, 2), "white").save(image, "PNG")
    image.seek(0)
    image.name = "figure.png"
    client.force_login(editor)
    response = client.post(reverse("editor:upload"), {"image": image}, headers={"x-requested-with": "XMLHttpRequest"})
    assert response.status_code == 200
    url = response.json()["image_code"].removeprefix("![](").removesuffix(")")
    name = url.removeprefix(settings.MEDIA_URL if settings.MEDIA_URL.startswith("/") else "/" + settings.MEDIA_URL)
    assert name.startswith(settings.MARKDOWNX_MEDIA_PATH) and default_storage.exists(name)
    assert default_storage.url(name) == url
    with default_storage.open(name) as stored, Image.open(stored) as decoded:
        assert decoded.size == (3, 2)
    assert (tmp_path / name).is_file()  # the file system's storage: under MEDIA_ROOT


def test_the_nginx_configuration_is_valid(tmp_path):
    """deploy/nginx as installed (site file and its locations snippet), checked by nginx -t."""
    import re
    import shutil
    import subprocess

    from tests.test_project import ROOT

    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        if os.environ.get("CI") == "true":  # .ci/run installs it
            pytest.fail("nginx is required in CI")
        pytest.skip("nginx is not installed (apt-get install -y nginx)")
    (tmp_path / "snippets").mkdir()
    shutil.copy(ROOT / "deploy" / "nginx" / "notes-locations.conf", tmp_path / "snippets" / "notes-locations.conf")
    # The certificate paths are the operator's; nginx -t opens them, so point them at a test pair.
    site = (ROOT / "deploy" / "nginx" / "notes.conf").read_text()
    site = re.sub(r"ssl_certificate(_key)? [^;]+;", "", site)
    site = site.replace(" ssl http2;", " http2;")
    (tmp_path / "notes.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n include /etc/nginx/mime.types;\n include {tmp_path}/notes.conf;\n}}\n"
    )
    result = subprocess.run(
        [nginx, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr
