from django.core.management.base import BaseCommand, CommandError

from notes.checking.services import check_note
from notes.models import Note


class Command(BaseCommand):
    help = (
        "Run the numerical checks of derivations and the comparisons of quoted numbers (live and "
        "latest revisions), each in its own limited process, and store passed/failed with the "
        "error, tolerance and time."
    )

    def add_arguments(self, parser):
        parser.add_argument("slugs", nargs="*", help="notes to check (default: every note)")
        parser.add_argument("--unchecked", action="store_true", help="only derivations never checked yet")

    def handle(self, *args, slugs, unchecked, **options):
        notes = Note.objects.order_by("slug")
        if slugs:
            notes = notes.filter(slug__in=slugs)
            missing = set(slugs) - set(notes.values_list("slug", flat=True))
            if missing:
                raise CommandError(f"no such note: {', '.join(sorted(missing))}")
        counts = {"passed": 0, "failed": 0, "": 0}

        def report(revision, key, outcome):
            counts[outcome.status] += 1
            label = {"passed": "ok  ", "failed": "FAIL", "": "skip"}[outcome.status]
            self.stdout.write(
                f"{label} {revision.note.slug}#{key} (rev {revision.number}): {outcome.detail} [{outcome.seconds:.2f} s]"
            )

        for note in notes:
            check_note(note, progress=report, only_unchecked=unchecked)
        self.stdout.write(f"{counts['passed']} passed, {counts['failed']} failed, {counts['']} without a check")
        if counts["failed"]:
            raise SystemExit(1)
