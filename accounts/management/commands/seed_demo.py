from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from notes.editorial.services import editors_group_ensure

DEMO_ACCOUNTS = (
    ("editor", "editor@example.com", "editor-demo-2026", True),
    ("reader", "reader@example.com", "reader-demo-2026", False),
)


class Command(BaseCommand):
    help = "Create the demo editor and reader (development only); prints their credentials."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("demo accounts are for development; DEBUG is off")
        editors = editors_group_ensure()
        for username, email, password, is_editor in DEMO_ACCOUNTS:
            user, created = User.objects.get_or_create(username=username, defaults={"email": email})
            if created:
                user.set_password(password)
                user.save()
            if is_editor:
                user.groups.add(editors)
            role = "editor" if is_editor else "reader"
            self.stdout.write(f"  {role:6}  username: {username:7} password: {password}")
