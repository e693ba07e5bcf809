from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Infrastructure every app may use and that knows no app: the .xlsx exporter base, text
    normalisation, the one state-transition mechanism, and the keyed hash chains."""

    name = "core"
    verbose_name = "基础设施"

    def ready(self):
        from django.urls import register_converter

        from core.web import YearConverter

        register_converter(YearConverter, "year")
