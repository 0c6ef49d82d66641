import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadshare.settings")
application = get_wsgi_application()

# Each web process starts reading the finder's snapshot and the city list now, so that its first searches
# find them ready.
from finder import freshness  # noqa: E402 (the apps are loaded above)
from partners import cities  # noqa: E402

freshness.warm()
cities.warm()
