from django.apps import AppConfig


class OversightConfig(AppConfig):
    """What the township and the county look at: dashboards, rankings, the honour roll, the
    lists behind every number, their exports, and what needs doing next."""

    name = "oversight"
    verbose_name = "督导"
