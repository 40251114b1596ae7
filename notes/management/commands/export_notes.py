from pathlib import Path

from django.core.management.base import BaseCommand

from notes.editorial.files import export_live


class Command(BaseCommand):
    help = "Write every live note as <slug>.md (and topics.yaml) into a folder; they import back unchanged."

    def add_arguments(self, parser):
        parser.add_argument("folder")

    def handle(self, *args, folder, **options):
        written = export_live(Path(folder))
        self.stdout.write(f"{len(written)} note(s) written to {folder}")
