import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

application = get_wsgi_application()

# Everything loaded by now lives as long as the worker: Django, the apps and (loaded here rather
# than on the first request) the URLconf with every view module. Frozen, the garbage collector
# stops scanning it in each full collection, which a page building many objects (the dashboard's
# thousands of rows) otherwise pays for in the middle of the request.
get_resolver().url_patterns  # noqa: B018  (loading is the point)
gc.collect()  # start-up's garbage is freed, not frozen
gc.freeze()
