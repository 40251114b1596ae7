from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Background jobs"

    def ready(self) -> None:
        # The deploy checks of what several processes and machines must share (the queue's
        # database and the cache): registered on import.
        from jobs import checks  # noqa: F401
