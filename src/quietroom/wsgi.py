"""WSGI entry point (gunicorn quietroom.wsgi)."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quietroom.settings")
application = get_wsgi_application()

# Fail at start-up, not on the first request, when the master key cannot be loaded.
from quietroom.content import key_provider  # noqa: E402

key_provider()
