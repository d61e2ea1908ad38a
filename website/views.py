"""Site-wide HTTP views: health check and error pages."""

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import services


@never_cache
@require_GET
def healthz(request):
    """200 with each dependency's state, or 503 naming the part that is down."""
    healthy, report = services.check_health()
    return JsonResponse(report, status=200 if healthy else 503)


def server_error(request):
    """A 500 page that needs no database (it must render when the database is down)."""
    return render(request, "500.html", status=500)
