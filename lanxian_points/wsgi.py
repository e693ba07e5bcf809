import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lanxian_points.settings")
application = get_wsgi_application()

# What is loaded by now (Django, the apps, pypinyin's dictionaries: some 280,000 objects) lives as
# long as the worker. Moved out of the cyclic garbage collector's reach, a full collection no
# longer adds ~100 ms to one request in a few (docs/benchmarks.md: the p95 of the big pages).
gc.freeze()
