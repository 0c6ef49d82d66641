from django.apps import AppConfig


class FinderConfig(AppConfig):
    name = "finder"
    verbose_name = "Partner finder"

    def ready(self) -> None:
        from finder import indexing

        indexing.connect()
