from contextlib import nullcontext

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from jobs.services import running_inline
from notes.background import queue_rerender
from notes.formula_store import DatabaseFormulaStore, formulas_prune
from notes.models import Revision
from notes.rendering import RENDERER_VERSION
from notes.rendering.formula_cache import current_store
from notes.rendering.katex import katex_version
from notes.selectors import LiveNoteIndex
from notes.services import formulas_prefill, revision_rerender

# Revisions whose formulas are typeset together before they are re-rendered one by one: enough
# to keep every engine busy, few enough that their sources fit in memory at once.
BATCH = 200


class Command(BaseCommand):
    help = (
        "Re-render stored revisions after a pipeline or KaTeX upgrade (source and history unchanged). "
        "Their formulas are typeset first, on every engine (KATEX_ENGINES), then each revision is re-rendered."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="re-render every revision, not only outdated ones")
        parser.add_argument(
            "--prune",
            action="store_true",
            help="re-render every revision, then delete the formula cache entries none of them used",
        )
        parser.add_argument(
            "--background",
            action="store_true",
            help=f"queue one job per {BATCH} revisions for the workers and return at once",
        )

    def handle(self, *args, **options):
        if options["background"] and options["prune"]:
            raise CommandError("--prune needs every re-render done first: run it without --background")
        revisions = Revision.objects.order_by("pk")
        if not (options["all"] or options["prune"]):
            revisions = revisions.exclude(renderer_version=RENDERER_VERSION, katex_version=katex_version())
        # The revisions are chosen once: each re-render changes what the filter above selects.
        pks = list(revisions.values_list("pk", flat=True))
        if options["background"]:
            jobs = [queue_rerender(pks[start : start + BATCH]) for start in range(0, len(pks), BATCH)]
            self.stdout.write(f"{len(pks)} revision(s) queued for re-rendering in {len(jobs)} job(s)")
            return
        # Inline, the jobs a re-render queues run here too: the site is up to date on return.
        with running_inline():
            self.rerender_all(pks, prune=options["prune"])

    def rerender_all(self, pks: list[int], *, prune: bool) -> None:
        started = timezone.now()
        store = current_store()
        pruning = prune and isinstance(store, DatabaseFormulaStore)
        if prune and not pruning:
            self.stderr.write("the formula cache is not the database's: nothing to prune")
        index = LiveNoteIndex()
        count = 0
        bar = self.bar(total=len(pks), desc="rerendering", unit="rev")
        with store.touching() if pruning else nullcontext():
            for start in range(0, len(pks), BATCH):
                batch = list(Revision.objects.select_related("note").filter(pk__in=pks[start : start + BATCH]))
                count += self.rerender(sorted(batch, key=lambda revision: revision.pk), index, bar)
        bar.close()
        self.stdout.write(f"{count} revision(s) re-rendered")
        if pruning:
            self.stdout.write(f"{formulas_prune(unused_since=started)} unused formula(s) pruned from the cache")

    def rerender(self, batch: list[Revision], index, bar) -> int:
        formulas_prefill(
            [revision.source for revision in batch],
            progress=lambda total: self.bar(total=total, desc="typesetting", unit="formula", leave=False),
        )
        for revision in batch:
            revision_rerender(revision=revision, index=index)
            bar.update(1)
        return len(batch)

    def bar(self, **kwargs):
        # A bar on a terminal; nothing when stderr is a file or a pipe (disable=None).
        return tqdm(disable=None, file=self.stderr._out, **kwargs)
