"""WSGI entry point; production settings unless DJANGO_SETTINGS_MODULE is set.

Page-cache hits are answered in front of Django's request handler
(``website.page_cache.Hits``).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "website.settings.production")

application = get_wsgi_application()

from website.page_cache import Hits  # noqa: E402 - needs the settings above

application = Hits(application)
