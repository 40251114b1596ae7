from django.core.management.base import BaseCommand

from notes.models import SearchTerm
from notes.search.services import search_terms_rebuild


class Command(BaseCommand):
    help = (
        "The search vocabulary (words misspellings are corrected to and typed prefixes complete to): "
        "its size, or with --rebuild made afresh from the live notes (words are otherwise only added)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="rebuild the vocabulary from the live notes")

    def handle(self, *args, **options):
        if options["rebuild"]:
            self.stdout.write(f"{search_terms_rebuild()} word(s) in the search vocabulary, rebuilt")
        else:
            self.stdout.write(f"{SearchTerm.objects.count()} word(s) in the search vocabulary")
