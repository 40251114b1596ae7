from django.core.management.base import BaseCommand
from tqdm import tqdm

from notes.models import Revision
from notes.rendering import RENDERER_VERSION
from notes.rendering.katex import katex_version
from notes.selectors import LiveNoteIndex
from notes.services import revision_rerender


class Command(BaseCommand):
    help = "Re-render stored revisions after a pipeline or KaTeX upgrade (source and history unchanged)."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="re-render every revision, not only outdated ones")

    def handle(self, *args, **options):
        revisions = Revision.objects.select_related("note").order_by("pk")
        if not options["all"]:
            revisions = revisions.exclude(renderer_version=RENDERER_VERSION, katex_version=katex_version())
        index = LiveNoteIndex()
        count = 0
        for revision in tqdm(
            revisions.iterator(),
            total=revisions.count(),
            desc="rerendering",
            unit="rev",
            disable=None,
            file=self.stderr._out,
        ):
            revision_rerender(revision=revision, index=index)
            count += 1
        self.stdout.write(f"{count} revision(s) re-rendered")
