from django.core.management.base import BaseCommand

from accounts.annotations.quote_display import annotation_quotes_render


class Command(BaseCommand):
    help = (
        "Typeset the annotation quotes that have no rendering yet (rows written before quotes were "
        "stored typeset, or a render interrupted after a publish); --all renders every quote again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="render every quote again, not only missing ones")

    def handle(self, *args, **options):
        count = annotation_quotes_render(every=options["all"])
        self.stdout.write(f"{count} quote(s) rendered")
