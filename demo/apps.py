from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo county (岚县, made-up people): its data, seeding and ``manage.py seed_demo``.

    Installed only when settings.DEVTOOLS is on (DEBUG, or LANXIAN_DEVTOOLS=1): a production
    deployment has neither the command nor the code.
    """

    name = "demo"
    verbose_name = "演示数据"
