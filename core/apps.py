from django.apps import AppConfig
from django.db.models.signals import class_prepared

from core.constraints import add_length_constraints

# Connected at import, before the project's models are prepared (core is installed first).
class_prepared.connect(add_length_constraints)


class CoreConfig(AppConfig):
    """Infrastructure every app may use and that knows no app: the .xlsx exporter base, text
    normalisation, the one state-transition mechanism, and the keyed hash chains."""

    name = "core"
    verbose_name = "基础设施"

    def ready(self):
        from django.urls import register_converter

        from core.web import YearConverter

        register_converter(YearConverter, "year")
