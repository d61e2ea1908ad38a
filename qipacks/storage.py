"""Where evidence documents and other restricted files live: never under MEDIA_URL.

Files here have no public address; views that check the reader's organisation
stream them (``qipacks/views``), as attachments.
"""

from django.conf import settings
from django.core.files.storage import FileSystemStorage


def private_storage() -> FileSystemStorage:
    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)
