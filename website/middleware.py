"""Site middleware."""

import json
import logging

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from qipacks import otp

from . import observability, page_cache

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


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, giving the Wagtail admin its own policy.

    Public and QI pages get ``CONTENT_SECURITY_POLICY`` (no inline script or
    style). Under the admin the looser ``CONTENT_SECURITY_POLICY_ADMIN`` applies
    instead, unless the view chose a policy of its own (a decorator, or a header
    it set itself, which the middleware never replaces).
    """

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        if (
            not report_only
            and parts.config is None
            and request.path_info.startswith(reverse("wagtailadmin_home"))
        ):
            parts.config = settings.CONTENT_SECURITY_POLICY_ADMIN["DIRECTIVES"]
        return parts


class AdminSecondFactorMiddleware:
    """Every signed-in person needs a verified second factor to use the admin.

    Wagtail's own sign-in checks only the password, so a session that has not
    passed the second factor (signed in at /admin/login/, or half-way through the
    /qi/ sign-in) is sent to the QI area's second-factor step (or its set-up, the
    first time) and comes back afterwards. Signing in and out stay open.
    """

    OPEN_VIEWS = {"wagtailadmin_login", "wagtailadmin_logout"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if (
            not settings.ADMIN_SECOND_FACTOR_REQUIRED
            or not request.path_info.startswith(reverse("wagtailadmin_home"))
            or not user.is_authenticated
            or otp.is_verified(user)
            or request.resolver_match.url_name in self.OPEN_VIEWS
        ):
            return None
        step = reverse(otp.second_factor_step(user))
        return redirect(f"{step}?{urlencode({'next': request.get_full_path()})}")


class PageCacheMiddleware:
    """Answer anonymous readers' page requests from the cache (website/page_cache.py).

    Placed straight after SecurityMiddleware: a hit skips sessions, users and the
    database, and what is stored is the response exactly as the middleware below
    finished it (Content-Security-Policy and the other headers included).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # page_cache.Hits (website/wsgi.py) may have looked already.
        found = request.META.pop(page_cache.LOOKUP_ENVIRON_KEY, None)
        if found is None:
            found = page_cache.lookup(request)
        if found.response is not None:
            # Issue 9's page-view counting must count here too: a hit never
            # reaches the page's view.
            return found.response
        response = self.get_response(request)
        page_cache.finish(request, response, found)
        return response


class RequestIdMiddleware:
    """Give each request an id: in its log lines, its tasks and ``X-Request-ID``.

    A well-formed ``X-Request-ID`` from the proxy in front is kept, so one id
    follows a request from the load balancer to the Celery worker; anything else
    (too long, control characters, non-ASCII) is replaced by a new id, never
    copied into logs or headers.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = observability.accept_request_id(
            request.headers.get("X-Request-ID")
        )
        # Current until the response is closed (website/observability.py).
        observability.bind_request_id(request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
