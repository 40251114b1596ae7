from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from jobs.services import running_inline
from notes.editorial.background import queue_import
from notes.editorial.files import (
    check_files,
    collect_paths,
    import_files,
    read_converted_files,
    read_macros_file,
    read_note_files,
    read_topics,
    topics_upsert,
)
from notes.importing import DIALECTS
from notes.importing.convert import READ_SUFFIXES
from notes.importing.report import report_text
from notes.rendering.formula_cache import MemoryStore, store_in_use


class Command(BaseCommand):
    help = "Import note files: a changed, clean file becomes a new live revision; an unchanged one writes nothing."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="note files or folders of *.md (with topics.yaml)")
        parser.add_argument("--message", default="Imported from file")
        parser.add_argument(
            "--from",
            dest="dialect",
            choices=["auto", *DIALECTS],
            help="convert from another dialect first (folders then also give .markdown, .mdx, .qmd, .ipynb)",
        )
        parser.add_argument("--topic", help="topic slug for every converted note")
        parser.add_argument("--macros", help="the site's macros: a LaTeX preamble or a MathJax/KaTeX macros JSON")
        parser.add_argument("--dry-run", action="store_true", help="write converted files and the report only")
        parser.add_argument("--out", default="imported", help="folder for --dry-run's converted files")
        parser.add_argument("--report", help="write the conversion report to this file")
        parser.add_argument(
            "--background",
            action="store_true",
            help="queue the import as one job for the workers (which must see the same paths) and return at once",
        )

    def handle(self, *args, paths, message, dialect, **options):
        if dialect is None and any(options[k] for k in ("dry_run", "topic", "report", "macros")):
            raise CommandError("--dry-run, --topic, --macros and --report go with --from")
        if options["background"]:
            self.queue(paths, message, dialect)
            return
        # The jobs an import queues (re-renders of the notes citing it, search rows) run here
        # too: `make run` serves the site right after, and it must be complete.
        with running_inline():
            self.import_inline(paths, message, dialect, options)

    def queue(self, paths, message, dialect):
        if dialect:
            raise CommandError("--background imports Markdown files: convert with --from --dry-run first")
        try:  # what can be refused now is refused here, not after a worker's three attempts
            files = collect_paths(paths)
            read_topics(paths)
        except (FileNotFoundError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        job = queue_import(paths, message=message)
        self.stdout.write(f"{len(files)} file(s) queued for import (job {job.pk})")

    def import_inline(self, paths, message, dialect, options):
        try:
            files = collect_paths(paths, READ_SUFFIXES if dialect else (".md",))
            topics = read_topics(paths)
            macros = self.macros(options["macros"])
        except (FileNotFoundError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        conversions = []
        if dialect:
            notes, conversions = self.convert(files, dialect, topics, macros, options)
            if options["dry_run"]:
                self.dry_run(notes, conversions, topics, options)
                return
        else:
            notes = read_note_files(files)
        if topics:
            topics_upsert(topics)
        # Bars on a terminal, nothing when stderr is a file or a pipe (disable=None): first the
        # files' formulas typeset on every engine (KATEX_ENGINES), then the notes written.
        outcome = import_files(
            notes,
            message=message,
            progress=lambda items: tqdm(items, desc="importing", unit="note", disable=None, file=self.stderr._out),
            typeset_progress=lambda total: tqdm(
                total=total, desc="typesetting", unit="formula", disable=None, file=self.stderr._out, leave=False
            ),
        )
        if dialect:
            self.write_report(notes, conversions, options)
        for note in outcome.rejected:
            for p in note.errors:
                self.stdout.write(f"{note.path}:{p.line}:{p.col}: error: {p.message}")
        self.stdout.write(
            f"{len(outcome.created)} published, {len(outcome.unchanged)} unchanged, {len(outcome.rejected)} rejected"
        )
        if outcome.rejected:
            raise SystemExit(1)

    def macros(self, path: str | None) -> list | None:
        if not path:
            return None
        definitions, problems = read_macros_file(path)
        for problem in problems:
            self.stderr.write(f"{path}: {problem} (skipped)")
        self.stdout.write(f"{path}: {len(definitions)} macro(s)")
        return definitions

    def convert(self, files, dialect, topics, macros, options):
        """The files converted, with wikilinks resolved against the batch and (unless --dry-run,
        which reads no database) the live notes."""
        from notes.models import Topic
        from notes.selectors import live_note_names

        known = {t["slug"] for t in topics} if topics else None
        links = None
        if not options["dry_run"]:
            known = known if known is not None else set(Topic.objects.values_list("slug", flat=True))
            links = live_note_names()
        notes, conversions = read_converted_files(
            files, dialect=dialect, topic=options["topic"], known_topics=known, macros=macros, links=links
        )
        for c in conversions:
            self.stdout.write(f"{c.name}: {c.dialect} ({c.reason}), {len(c.entries)} report entries")
        return notes, conversions

    def dry_run(self, notes, conversions, topics, options):
        """The converted files and the report written; the notes rendered with formulas kept in
        this process only, for the report's untypeset formulas. No database."""
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        for c in conversions:
            if not c.error:
                (out / f"{c.slug}.md").write_text(c.text, encoding="utf-8")
        with store_in_use(MemoryStore()):
            check_files(notes, topics={t["slug"] for t in topics} if topics else None)
        self.write_report(notes, conversions, options, default=out / "import-report.txt")
        self.stdout.write(f"{len(conversions)} converted into {out}; nothing imported (--dry-run)")

    def write_report(self, notes, conversions, options, default=None):
        rendered = {str(n.path): n.errors + (n.result.warnings if n.result else []) for n in notes}
        report = report_text(conversions, rendered)
        target = options["report"] or default
        if target:
            Path(target).write_text(report, encoding="utf-8")
        untypeset = report.count(": untypeset: ")
        self.stdout.write(f"{untypeset} formula(s) left untypeset" + (f"; report in {target}" if target else ""))
