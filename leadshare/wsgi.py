import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadshare.settings")
application = get_wsgi_application()

# Each web process starts reading the city list now, so that its first searches find it ready (the finder's
# snapshot is built before gunicorn forks its workers: leadshare/gunicorn.py).
from partners import cities  # noqa: E402 (the apps are loaded above)

cities.warm()
