import json

from django.core.management.base import BaseCommand, CommandError

from notes.editorial.files import check_files, collect_paths, read_note_files, read_topics
from notes.rendering.formula_cache import MemoryStore, use_store


class Command(BaseCommand):
    help = "Validate note files without touching the database; prints file:line:col: message."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="note files or folders of *.md")
        parser.add_argument("--json", action="store_true", help="print problems as JSON")

    def handle(self, *args, paths, **options):
        try:
            files = collect_paths(paths)
            topics = read_topics(paths)
        except (FileNotFoundError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        notes = read_note_files(files)
        # Formulas are kept in this process only: checking files writes nothing to the database.
        previous = use_store(MemoryStore())
        try:
            check_files(notes, topics={t["slug"] for t in topics} if topics is not None else None)
        finally:
            use_store(previous)
        report = []
        for note in notes:
            warnings = note.result.warnings if note.result else []
            for severity, problems in (("error", note.errors), ("warning", warnings)):
                for p in problems:
                    report.append({"file": str(note.path), "severity": severity, **p.as_dict()})
        errors = sum(1 for r in report if r["severity"] == "error")
        if options["json"]:
            self.stdout.write(json.dumps({"files": len(notes), "errors": errors, "problems": report}, indent=2))
        else:
            for r in report:
                self.stdout.write(f"{r['file']}:{r['line']}:{r['col']}: {r['severity']}: {r['message']}")
            self.stderr.write(f"{len(notes)} file(s) checked, {errors} error(s), {len(report) - errors} warning(s)")
        if errors:
            raise SystemExit(1)
