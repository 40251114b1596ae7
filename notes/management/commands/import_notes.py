from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from notes.editorial.files import collect_paths, import_files, read_note_files, read_topics, topics_upsert


class Command(BaseCommand):
    help = "Import note files: a changed, clean file becomes a new live revision; an unchanged one writes nothing."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="note files or folders of *.md (with topics.yaml)")
        parser.add_argument("--message", default="Imported from file")

    def handle(self, *args, paths, message, **options):
        try:
            files = collect_paths(paths)
            topics = read_topics(paths)
        except (FileNotFoundError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if topics:
            topics_upsert(topics)
        notes = read_note_files(files)
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
