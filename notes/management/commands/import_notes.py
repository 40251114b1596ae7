from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from notes.editorial.files import (
    collect_paths,
    import_files,
    read_converted_files,
    read_note_files,
    read_topics,
    topics_upsert,
)
from notes.importing import DIALECTS
from notes.importing.convert import READ_SUFFIXES


def conversion_report(conversions) -> str:
    """The import report: per file the dialect and why, then every entry as line:col."""
    lines = []
    for c in conversions:
        lines.append(f"{c.name} -> {c.slug}.md ({c.dialect}: {c.reason})")
        lines += [f"{c.name}:{e}" for e in c.entries]
    return "\n".join(lines) + "\n"


class Command(BaseCommand):
    help = "Import note files: a changed, clean file becomes a new live revision; an unchanged one writes nothing."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="note files or folders of *.md (with topics.yaml)")
        parser.add_argument("--message", default="Imported from file")
        parser.add_argument(
            "--from",
            dest="dialect",
            choices=["auto", *DIALECTS],
            help="convert from another dialect first (folders then also give .markdown, .mdx, .qmd)",
        )
        parser.add_argument("--topic", help="topic slug for every converted note")
        parser.add_argument("--dry-run", action="store_true", help="write converted files and the report only")
        parser.add_argument("--out", default="imported", help="folder for --dry-run's converted files")
        parser.add_argument("--report", help="write the conversion report to this file")

    def handle(self, *args, paths, message, dialect, **options):
        if dialect is None and (options["dry_run"] or options["topic"] or options["report"]):
            raise CommandError("--dry-run, --topic and --report go with --from")
        try:
            files = collect_paths(paths, READ_SUFFIXES if dialect else (".md",))
            topics = read_topics(paths)
        except (FileNotFoundError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if dialect:
            notes = self.convert(files, dialect, topics, options)
            if notes is None:
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
        for note in outcome.rejected:
            for p in note.errors:
                self.stdout.write(f"{note.path}:{p.line}:{p.col}: error: {p.message}")
        self.stdout.write(
            f"{len(outcome.created)} published, {len(outcome.unchanged)} unchanged, {len(outcome.rejected)} rejected"
        )
        if outcome.rejected:
            raise SystemExit(1)

    def convert(self, files, dialect, topics, options):
        """Convert; with --dry-run write the files and report and stop (None), else the notes."""
        from notes.models import Topic

        known = {t["slug"] for t in topics} if topics else None
        if known is None and not options["dry_run"]:
            known = set(Topic.objects.values_list("slug", flat=True))
        notes, conversions = read_converted_files(files, dialect=dialect, topic=options["topic"], known_topics=known)
        report = conversion_report(conversions)
        if options["report"]:
            Path(options["report"]).write_text(report, encoding="utf-8")
        for c in conversions:
            self.stdout.write(f"{c.name}: {c.dialect} ({c.reason}), {len(c.entries)} report entries")
        if not options["dry_run"]:
            return notes
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        for c in conversions:
            (out / f"{c.slug}.md").write_text(c.text, encoding="utf-8")
        if not options["report"]:
            (out / "import-report.txt").write_text(report, encoding="utf-8")
        self.stdout.write(f"{len(conversions)} converted into {out}; nothing imported (--dry-run)")
        return None
