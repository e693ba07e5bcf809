from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Benchmarks and timing tools: ``manage.py bench``, ``time_exports``, ``time_roster_import``.

    Installed only when settings.DEVTOOLS is on (DEBUG, or LANXIAN_DEVTOOLS=1).
    """

    name = "devtools"
    verbose_name = "开发工具"
