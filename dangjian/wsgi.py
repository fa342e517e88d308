"""WSGI entry point (gunicorn/granian behind a reverse proxy in production)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
application = get_wsgi_application()

# Each app-server process loads the 12371 bot's index as it starts, not on its first
# question (DANGJIAN_WARM_KB=0 turns this off).
if os.environ.get("DANGJIAN_WARM_KB", "1") == "1":
    from dangjian.knowledge.index import warm_in_background

    warm_in_background()
