"""Site middleware."""

import json
import logging

from django.shortcuts import render

logger = logging.getLogger(__name__)


class AdminMalformedPostMiddleware:
    """Turn an unreadable admin form post into a 400, never a 500.

    Wagtail's rich-text editor widget decodes its JSON without a guard, so a
    tampered or truncated post raises ``JSONDecodeError`` before any form
    validation. Nothing has been saved at that point (the request's transaction
    is rolled back), so the honest answer is "we could not read that; try again".
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if (
            isinstance(exception, json.JSONDecodeError)
            and request.method == "POST"
            and request.path.startswith("/admin/")
        ):
            logger.warning(
                "unreadable admin post path=%s user_id=%s: %s",
                request.path,
                getattr(request.user, "pk", None),
                exception,
            )
            return render(request, "website/admin_bad_post.html", status=400)
        return None
