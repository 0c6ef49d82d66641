import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadshare.settings")
application = get_wsgi_application()

# Each web process starts building the finder's snapshot now, so that its first searches find it ready.
from finder import freshness  # noqa: E402 (the apps are loaded above)

freshness.warm()
