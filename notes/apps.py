from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "notes"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from notes.editorial.services import editors_group_ensure
        from notes.formula_store import DatabaseFormulaStore
        from notes.rendering.formula_cache import use_store

        post_migrate.connect(lambda **kwargs: editors_group_ensure(), sender=self, weak=False)
        # Every render in this process (notes, previews, annotations, rerender) reads and
        # writes typeset formulas in the table.
        use_store(DatabaseFormulaStore())
