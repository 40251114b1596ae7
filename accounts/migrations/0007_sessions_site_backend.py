"""Signed-in sessions name the backend that loads their user. Those made before the site's own
ModelBackend (config.auth, Django's with a faster read) name Django's, which is no longer
listed in AUTHENTICATION_BACKENDS: they are moved over, so that nobody is signed out."""

from django.contrib.sessions.backends.db import SessionStore
from django.db import migrations
from django.utils import timezone

BACKEND_KEY = "_auth_user_backend"  # django.contrib.auth.BACKEND_SESSION_KEY
DJANGO, SITE = "django.contrib.auth.backends.ModelBackend", "config.auth.ModelBackend"


def _rename(apps, old: str, new: str) -> None:
    session_model = apps.get_model("sessions", "Session")
    store = SessionStore()
    live = session_model.objects.filter(expire_date__gt=timezone.now())
    for key, data in list(live.values_list("session_key", "session_data")):
        decoded = store.decode(data)  # {} for a session this SECRET_KEY did not sign
        if decoded.get(BACKEND_KEY) == old:
            decoded[BACKEND_KEY] = new
            session_model.objects.filter(session_key=key).update(session_data=store.encode(decoded))


def forwards(apps, schema_editor):
    _rename(apps, DJANGO, SITE)


def backwards(apps, schema_editor):
    _rename(apps, SITE, DJANGO)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_reader_page_stamp"),
        ("sessions", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
