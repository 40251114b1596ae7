from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "notes"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from notes.editorial.services import editors_group_ensure

        post_migrate.connect(lambda **kwargs: editors_group_ensure(), sender=self, weak=False)
