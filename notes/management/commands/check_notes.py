import json

from django.core.management.base import BaseCommand, CommandError

from notes.editorial.files import (
    check_files,
    collect_paths,
    read_converted_files,
    read_macros_file,
    read_note_files,
    read_topics,
)
from notes.importing import DIALECTS
from notes.importing.convert import READ_SUFFIXES
from notes.rendering.formula_cache import MemoryStore, store_in_use


class Command(BaseCommand):
    help = "Validate note files without touching the database; prints file:line:col: message."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="note files or folders of *.md")
        parser.add_argument("--json", action="store_true", help="print problems as JSON")
        parser.add_argument(
            "--from", dest="dialect", choices=["auto", *DIALECTS], help="check as converted from a dialect"
        )
        parser.add_argument("--topic", help="topic slug for every converted note")
        parser.add_argument("--macros", help="with --from: the site's macros (a LaTeX preamble or macros JSON)")

    def handle(self, *args, paths, dialect=None, topic=None, macros=None, **options):
        if macros and not dialect:
            raise CommandError("--macros goes with --from")
        try:
            files = collect_paths(paths, READ_SUFFIXES if dialect else (".md",))
            topics = read_topics(paths)
            definitions, unread = read_macros_file(macros) if macros else (None, [])
        except (FileNotFoundError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        for problem in unread:
            self.stderr.write(f"{macros}: {problem} (skipped)")
        known = {t["slug"] for t in topics} if topics is not None else None
        conversions = []
        if dialect:  # problems then point into the converted text; the import report says what changed
            notes, conversions = read_converted_files(
                files, dialect=dialect, topic=topic, known_topics=known, macros=definitions
            )
        else:
            notes = read_note_files(files)
        # Formulas are kept in this process only: checking files writes nothing to the database.
        with store_in_use(MemoryStore()):
            check_files(notes, topics=known)
        report = []
        for note in notes:
            warnings = note.result.warnings if note.result else []
            for severity, problems in (("error", note.errors), ("warning", warnings)):
                for p in problems:
                    report.append({"file": str(note.path), "severity": severity, **p.as_dict()})
        for c in conversions:
            for e in c.entries:
                report.append(
                    {
                        "file": c.name,
                        "severity": "import",
                        "line": e.line,
                        "col": e.col,
                        "message": f"{e.action}: {e.kind}: {e.message}",
                    }
                )
        errors = sum(1 for r in report if r["severity"] == "error")
        if options["json"]:
            self.stdout.write(json.dumps({"files": len(notes), "errors": errors, "problems": report}, indent=2))
        else:
            for r in report:
                self.stdout.write(f"{r['file']}:{r['line']}:{r['col']}: {r['severity']}: {r['message']}")
            warnings = sum(1 for r in report if r["severity"] == "warning")
            self.stderr.write(f"{len(notes)} file(s) checked, {errors} error(s), {warnings} warning(s)")
        if errors:
            raise SystemExit(1)
