"""The data-quality area: an organisation's members read their own reports.

Every view needs a signed-in person whose session passed the second factor, and a
membership: the reports shown are always those of the person's own organisations,
chosen on the server, so another organisation's report is "not found" (404).
Views answer GET and HEAD only (anything else is 405). Each writes a
``DataQualityAccess`` row; refused attempts are not written there (that log says
who *saw* what): they go to the application log instead.

Nothing here is cached by a shared cache or indexed: every response, redirects and
"not found" included, is ``Cache-Control: private, no-store`` and
``X-Robots-Tag: noindex``.
"""

from __future__ import annotations

import functools
import logging
from collections import defaultdict

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views.decorators.http import require_safe

from . import charts
from . import data_quality as dq
from .models import DataQualityAccess, DataQualityReport
from .otp import is_verified
from .services import organisations_for

logger = logging.getLogger(__name__)


def _private(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    patch_cache_control(response, private=True)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def member_view(view):
    """Signed in, second factor passed, a member of at least one organisation."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated or not is_verified(user):
            # Signed out, or signed in without the second factor: the sign-in
            # page takes them through whichever step is missing.
            return _private(
                redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            )
        organisations = list(organisations_for(user))
        if not organisations:
            return _private(
                render(request, "qipacks/data_quality/no_membership.html", status=403)
            )
        try:
            response = view(request, organisations, *args, **kwargs)
        except Http404:
            logger.warning(
                "data-quality: user %s refused %s (not their organisation's report)",
                user.pk,
                request.path,
            )
            response = render(request, "404.html", status=404)
        return _private(response)

    return wrapped


def _own_report(organisations, pk: int) -> DataQualityReport:
    report = (
        DataQualityReport.objects.filter(pk=pk, organisation__in=organisations)
        .select_related("organisation")
        .first()
    )
    if report is None:
        raise Http404("No report of yours has this id.")
    return report


@member_view
@require_safe
def report_list(request, organisations):
    reports = list(
        DataQualityReport.objects.filter(organisation__in=organisations)
        .select_related("organisation")
        .order_by("-period_end", "-period_start", "organisation__name")
    )
    for report in reports:
        report.period = dq.period_label(report.period_start, report.period_end)
    dq.log_access(
        user=request.user,
        action=DataQualityAccess.Action.LIST,
        path=request.get_full_path(),
        organisation=organisations[0] if len(organisations) == 1 else None,
    )
    return render(
        request,
        "qipacks/data_quality/report_list.html",
        {
            "organisations": organisations,
            "reports": reports,
            "several": len(organisations) > 1,
        },
    )


@member_view
@require_safe
def report_detail(request, organisations, pk: int):
    report = _own_report(organisations, pk)
    values = list(report.values.select_related("indicator"))
    rows = []
    by_unit = defaultdict(list)
    for value in values:
        meets, note = dq.against_target(value)
        unit = value.indicator.unit
        rows.append(
            {
                "indicator": value.indicator,
                "value": dq.figure(value.value, unit),
                "target": dq.figure(value.target, unit),
                "median": dq.figure(value.national_median, unit),
                "meets": meets,
                "note": note,
                "median_note": dq.against_median(value),
            }
        )
        by_unit[unit].append(value)
    period = dq.period_label(report.period_start, report.period_end)
    chart_list = []
    for unit, unit_values in by_unit.items():
        percent = unit == "%"
        chart_list.append(
            charts.bar_chart(
                [
                    charts.BarRow(
                        v.indicator.name,
                        float(v.value),
                        target=None if v.target is None else float(v.target),
                        median=(
                            None
                            if v.national_median is None
                            else float(v.national_median)
                        ),
                    )
                    for v in unit_values
                ],
                title=f"Data quality for {report.organisation.name}, {period}"
                + ("" if percent else f" ({unit})"),
                description=(
                    "Bars show your organisation's value for each indicator; a "
                    "solid line marks the target and a dashed line the national "
                    "median. The table below gives the same figures."
                ),
                max_value=100 if percent else None,
                unit="%" if percent else f" {unit}",
            )
        )
    dq.log_access(
        user=request.user,
        action=DataQualityAccess.Action.VIEW,
        path=request.get_full_path(),
        report=report,
    )
    return render(
        request,
        "qipacks/data_quality/report_detail.html",
        {
            "report": report,
            "period": period,
            "rows": rows,
            "charts": chart_list,
            "met": sum(1 for r in rows if r["meets"] is True),
            "with_target": sum(1 for r in rows if r["meets"] is not None),
        },
    )


@member_view
@require_safe
def report_download(request, organisations, pk: int):
    report = _own_report(organisations, pk)
    # A byte-order mark, so Excel reads the file as UTF-8.
    body = "\ufeff" + dq.report_csv(report)
    dq.log_access(
        user=request.user,
        action=DataQualityAccess.Action.DOWNLOAD,
        path=request.get_full_path(),
        report=report,
    )
    filename = (
        f"data-quality-{report.organisation.code}-"
        f"{report.period_start:%Y-%m-%d}-to-{report.period_end:%Y-%m-%d}.csv"
    )
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in filename)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{safe}"'
    return response
