"""The QI lead area at /qi/: sign in with a second factor, the organisation's to-do
list, updating one response (with evidence), progress, exports, evidence files.

Every page needs a signed-in person who has passed the second factor, except the
sign-in, second-factor and sign-out pages themselves. Every organisation comes
from the person's memberships (``services.organisations_for``): a code in the
address only picks one of their own, and anything else is "not found". No
response from here is ever stored by a shared cache.
"""

from __future__ import annotations

import logging
from functools import wraps

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from . import charts, otp, progress, qi_exports, services
from .models import EvidenceDocument, UptakeChange, UptakeStatus
from .qi_forms import EVIDENCE_MAX_BYTES, CodeForm, LoginForm, UptakeForm

logger = logging.getLogger(__name__)

T = "qipacks/qi/"
NEW_BACKUP_CODES = "qi_new_backup_codes"


class SeeOther(HttpResponseRedirect):
    """A 303: after a form post the browser fetches the next page with GET."""

    status_code = 303


# --- Decorators -----------------------------------------------------------------


def qi_page(view):
    """Never cached; "not found" and "not allowed" as this area's own pages."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except Http404:
            return render(request, "404.html", status=404)
        except PermissionDenied:
            return render(request, T + "forbidden.html", status=403)

    return never_cache(wrapped)


def verified_required(view):
    """Signed in and past the second factor; otherwise sent to the step missing."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("qi:login"))
        if not otp.is_verified(user):
            step = "qi:verify" if otp.has_second_factor(user) else "qi:setup"
            return _redirect(step, next=request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped


def _redirect(name: str, *args, next: str = "", cls=HttpResponseRedirect):  # noqa: A002
    url = reverse(name, args=args)
    if next:
        url += "?" + urlencode({"next": next})
    return cls(url)


def _next(request) -> str:
    """Where to go after signing in: the ``next`` asked for, if it is on this site."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("qi:home")


def _organisation(request, code: str):
    return get_object_or_404(services.organisations_for(request.user), code=code)


# --- Sign in, second factor, sign out ----------------------------------------------


@qi_page
@require_http_methods(["GET", "POST"])
def login(request):
    """Username and password; django-axes counts failures and locks out."""
    if otp.is_verified(request.user):
        return SeeOther(_next(request))
    status = 200
    if request.method == "POST":
        form = LoginForm(request, data=request.POST)
        if form.is_valid():
            auth_login(request, form.get_user())
            step = "qi:verify" if otp.has_second_factor(request.user) else "qi:setup"
            return _redirect(step, next=_next(request), cls=SeeOther)
        status = 400
    else:
        form = LoginForm(request)
    context = {
        "form": form,
        "next": _next(request),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
    }
    return render(request, T + "login.html", context, status=status)


@qi_page
@require_http_methods(["GET", "POST"])
def verify(request):
    """The second step: a code from the app, or a backup code."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("qi:login"))
    if otp.is_verified(user):
        return SeeOther(_next(request))
    if not otp.has_second_factor(user):
        return _redirect("qi:setup", next=_next(request))
    status = 200
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                device = otp.verify_code(user, form.cleaned_data["code"])
            except otp.CodeRefused as refused:
                form.add_error("code", str(refused))
            else:
                django_otp.login(request, device)
                request.session.cycle_key()
                if device.__class__.__name__ == "StaticDevice":
                    left = otp.backup_codes_left(user)
                    messages.warning(
                        request,
                        f"You used a backup code. You have {left} left: make new ones "
                        "from the backup codes page if you are running low.",
                    )
                return SeeOther(_next(request))
    return render(
        request,
        T + "verify.html",
        {"form": form, "next": _next(request)},
        status=status,
    )


@qi_page
@require_http_methods(["GET", "POST"])
def setup(request):
    """First sign-in: connect an authenticator app, then get backup codes."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("qi:login"))
    if otp.has_second_factor(user):
        if otp.is_verified(user):
            return SeeOther(_next(request))
        return _redirect("qi:verify", next=_next(request))
    device = otp.pending_app_device(user)
    status = 200
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        status = 400
        if form.is_valid():
            codes = otp.confirm_app_device(user, device, form.cleaned_data["code"])
            if codes is None:
                form.add_error(
                    "code",
                    "That code is not right. Check you scanned the QR code or typed "
                    "the key, then enter the code your app shows now",
                )
            else:
                device.refresh_from_db()
                django_otp.login(request, device)
                request.session.cycle_key()
                request.session[NEW_BACKUP_CODES] = codes
                return _redirect("qi:backup_codes", next=_next(request), cls=SeeOther)
    context = {
        "form": form,
        "next": _next(request),
        "qr_code": otp.qr_code_svg(device),
        "key": otp.key_for_typing(device),
        "issuer": otp.APP_DEVICE_NAME,
    }
    return render(request, T + "setup.html", context, status=status)


@qi_page
@verified_required
@require_http_methods(["GET", "POST"])
def backup_codes(request):
    """New backup codes, shown once; or how many are left, and a way to renew them."""
    if request.method == "POST":
        request.session[NEW_BACKUP_CODES] = otp.make_backup_codes(request.user)
        return _redirect("qi:backup_codes", next=_next(request), cls=SeeOther)
    codes = request.session.pop(NEW_BACKUP_CODES, None)
    return render(
        request,
        T + "backup_codes.html",
        {
            "codes": [otp.format_backup_code(c) for c in codes or []],
            "left": otp.backup_codes_left(request.user),
            "next": _next(request),
        },
    )


@qi_page
@require_http_methods(["GET", "POST"])
def logout(request):
    """GET asks; POST signs out (so a link or a prefetch cannot sign anyone out)."""
    if request.method == "POST":
        auth_logout(request)
        messages.info(request, "You have signed out.")
        return SeeOther(reverse("qi:login"))
    return render(request, T + "logout.html")


# --- The organisation's pages ------------------------------------------------------


@qi_page
@verified_required
@require_GET
def home(request):
    """Straight to the to-do list, or a choice for people in several organisations."""
    organisations = list(services.organisations_for(request.user))
    if not organisations:
        return render(request, T + "no_organisation.html", status=403)
    if len(organisations) == 1:
        return HttpResponseRedirect(reverse("qi:todo", args=[organisations[0].code]))
    return render(request, T + "choose.html", {"organisations": organisations})


@qi_page
@verified_required
@require_GET
def todo(request, code: str):
    organisation = _organisation(request, code)
    groups = progress.todo(organisation, details=False)
    # One reverse() for the whole list, not one per recommendation.
    placeholder = str(2**31 - 1)
    head, _, tail = reverse(
        "qi:recommendation", args=[organisation.code, placeholder]
    ).rpartition(placeholder)
    for group in groups:
        for item in group.items:
            item.url = f"{head}{item.recommendation.pk}{tail}"
    return render(
        request,
        T + "todo.html",
        {
            "organisation": organisation,
            "groups": groups,
            "summary": progress.summary(groups),
            "can_edit": services.can_edit(request.user, organisation),
            "section": "todo",
        },
    )


@qi_page
@verified_required
@require_GET
def recommendation_redirect(request, pk: int):
    """A short address (for emails): the first of the person's organisations it
    applies to."""
    for organisation in services.organisations_for(request.user):
        if services.recommendations_for(organisation).filter(pk=pk).exists():
            return HttpResponseRedirect(
                reverse("qi:recommendation", args=[organisation.code, pk])
            )
    raise Http404


class _EvidenceSizeLimit(FileUploadHandler):
    """Stops reading an evidence file as soon as it is too big (nothing is kept)."""

    too_large = False

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > EVIDENCE_MAX_BYTES:
            self.too_large = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None


@csrf_exempt  # checked below, once the upload limit is in place
@qi_page
@verified_required
@require_http_methods(["GET", "POST"])
def recommendation(request, code: str, pk: int):
    """One recommendation: the organisation's response, its history, and (for QI
    leads) the form to change it."""
    organisation = _organisation(request, code)
    item = get_object_or_404(services.recommendations_for(organisation), pk=pk)
    editable = services.can_edit(request.user, organisation)
    if request.method == "POST" and not editable:
        raise PermissionDenied
    limit = _EvidenceSizeLimit(request)
    if request.method == "POST":
        request.upload_handlers.insert(0, limit)
    return csrf_protect(_recommendation)(
        request, organisation, item, editable=editable, limit=limit
    )


def _recommendation(request, organisation, item, *, editable, limit):
    record = (
        services.records_for(request.user)
        .filter(organisation=organisation, recommendation=item)
        .select_related("evidence_document", "updated_by")
        .first()
    )
    status = 200
    if request.method == "POST":
        form = UptakeForm(
            request.POST,
            request.FILES,
            current_review=record.next_review if record else None,
        )
        valid = form.is_valid()
        if limit.too_large:
            form.add_error(
                "evidence_file",
                f"The selected file must be smaller than "
                f"{EVIDENCE_MAX_BYTES // (1024 * 1024)} MB",
            )
            valid = False
        if valid and _save(request, form, organisation, item, record):
            return SeeOther(request.path)
        status = 400
    else:
        form = UptakeForm(initial=_initial(record))
    changes = (
        list(UptakeChange.objects.filter(record=record).select_related("changed_by"))
        if record
        else []
    )
    national = services.national_uptake([item])[item.pk]
    return render(
        request,
        T + "recommendation.html",
        {
            "organisation": organisation,
            "recommendation": item,
            "record": record,
            "status_label": progress.status_label(record.status if record else None),
            "changes": changes,
            "labels": progress.STATUS_LABELS,
            "form": form,
            "values": _values(form),
            "statuses": UptakeStatus.choices,
            "can_edit": editable,
            "national": national,
            "section": "todo",
            "today": timezone.localdate(),
        },
        status=status,
    )


def _initial(record) -> dict:
    if record is None:
        return {}
    review = record.next_review
    return {
        "status": record.status,
        "evidence": record.evidence,
        "not_applicable_reason": record.not_applicable_reason,
        "next_review_day": str(review.day) if review else "",
        "next_review_month": str(review.month) if review else "",
        "next_review_year": str(review.year) if review else "",
    }


def _values(form) -> dict:
    names = [
        "status",
        "evidence",
        "not_applicable_reason",
        "next_review_day",
        "next_review_month",
        "next_review_year",
    ]
    if form.is_bound:
        return {name: form.data.get(name, "") for name in names}
    return {name: form.initial.get(name, "") for name in names}


def _save(request, form, organisation, item, record) -> bool:
    """Store the file (if any) and the response together; False if refused."""
    data = form.cleaned_data
    upload = data.get("evidence_file")
    before = record.updated_at if record else None
    document = None
    try:
        with transaction.atomic():
            if upload:
                document = EvidenceDocument(
                    organisation=organisation,
                    original_name=upload.name,
                    content_type=form.file_kind.content_type,
                    size=upload.size,
                    uploaded_by=request.user,
                )
                document.file.save(upload.name, upload, save=False)
                document.save()
            saved = services.record_uptake(
                recommendation=item,
                organisation=organisation,
                user=request.user,
                status=data["status"],
                evidence=data["evidence"],
                not_applicable_reason=data["not_applicable_reason"],
                next_review=data["next_review"],
                evidence_document=document,
                keep_document=not data.get("remove_file"),
            )
    except ValidationError as error:
        if document is not None and document.file.name:
            document.file.delete(save=False)
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                target = field if field in form.fields else None
                for message in errors:
                    form.add_error(target, message)
        else:
            for message in error.messages:
                form.add_error(None, message)
        return False
    except Exception:
        if document is not None and document.file.name:
            document.file.delete(save=False)
        raise
    if before is not None and saved.updated_at == before:
        messages.info(request, "Nothing had changed, so there was nothing to save.")
    else:
        logger.info(
            "uptake saved record_id=%s organisation_id=%s recommendation_id=%s "
            "user_id=%s status=%s document_id=%s",
            saved.pk,
            organisation.pk,
            item.pk,
            request.user.pk,
            saved.status,
            document.pk if document else None,
        )
        messages.success(
            request,
            f"Your response to {item.reference} is saved: "
            f"{progress.status_label(saved.status)}.",
        )
    return True


@qi_page
@verified_required
@require_GET
def progress_view(request, code: str):
    """The organisation's share implemented, against its region and the nation."""
    organisation = _organisation(request, code)
    packs = progress.progress(organisation)
    for entry in packs:
        entry.chart = charts.bar_chart(
            [
                charts.BarRow(organisation.name, entry.own.percent_implemented),
                charts.BarRow(
                    f"{organisation.get_region_display()} (region)",
                    entry.region.percent_implemented
                    if entry.region.enough_responses
                    else None,
                ),
                charts.BarRow(
                    "England",
                    entry.national.percent_implemented
                    if entry.national.enough_responses
                    else None,
                ),
            ],
            title=f"{entry.pack.title}: share of recommendations implemented",
        )
        entry.status_chart = charts.stacked_bar_chart(
            [(organisation.name, entry.own.counts())],
            title=f"{entry.pack.title}: {organisation.name}'s responses by status",
        )
    return render(
        request,
        T + "progress.html",
        {
            "organisation": organisation,
            "packs": packs,
            "region": organisation.get_region_display(),
            "section": "progress",
        },
    )


@qi_page
@verified_required
@require_GET
def export(request, code: str, extension: str):
    """The organisation's records as CSV or XLSX (one row per recommendation)."""
    organisation = _organisation(request, code)
    if extension == "csv":
        body, content_type = qi_exports.as_csv(organisation), "text/csv; charset=utf-8"
    else:
        body = qi_exports.as_xlsx(organisation)
        content_type = (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    response = HttpResponse(body, content_type=content_type)
    name = qi_exports.filename(organisation, extension)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@qi_page
@verified_required
@require_GET
def export_redirect(request, extension: str):
    """``/qi/export.csv``: the export of the person's first organisation."""
    organisation = services.organisations_for(request.user).first()
    if organisation is None:
        raise Http404
    return HttpResponseRedirect(
        reverse(f"qi:export_{extension}", args=[organisation.code])
    )


@qi_page
@verified_required
@require_GET
def evidence(request, pk: int):
    """An evidence file, to members of its organisation (and staff who may see
    all uptake), always as a download that cannot run anything."""
    documents = EvidenceDocument.objects.all()
    if not request.user.has_perm("qipacks.view_uptakerecord"):
        documents = documents.filter(
            organisation__in=services.organisations_for(request.user)
        )
    document = get_object_or_404(documents, pk=pk)
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, ValueError):
        logger.error("evidence file missing document_id=%s", document.pk)
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response
