"""The project's ASGI application, for uvicorn (``tests/e2e/test_servers.py``)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.e2e.project.settings")

application = get_asgi_application()
