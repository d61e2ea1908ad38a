from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls
from wagtail.documents.views import serve as wagtaildocs_serve

from bulletins import bounces
from search import views as search_views
from webinars import calendar_views

from . import routing, topics, views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path(".well-known/security.txt", views.security_txt, name="security_txt"),
    path("search/", search_views.search, name="search"),
    path("search/suggest/", search_views.suggest, name="search_suggest"),
    # Every live public page (never a registrant's page or a join link).
    path("sitemap.xml", sitemap, name="sitemap"),
    path("admin/", include(wagtailadmin_urls)),
    # Wagtail's permission-checked download view, its policy made stricter.
    re_path(
        r"^documents/(\d+)/(.*)$",
        views.sandboxed(wagtaildocs_serve.serve),
        name="wagtaildocs_serve",
    ),
    path("documents/", include(wagtaildocs_urls)),
    path("feedback/<int:page_id>/", views.page_feedback, name="page_feedback"),
    # Only anymail's tracking webhooks (bounces, complaints), parsed strictly.
    path("anymail/", include((bounces.webhook_urls(), "anymail"))),
    # QI leads: their organisation's uptake (login with a second factor).
    path("qi/", include("qipacks.qi_urls")),
    # Restricted: each organisation's data-quality reports, never cached or indexed.
    path("data-quality/", include("qipacks.dq_urls")),
    path("", include("bulletins.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail's own URLs, its page view routing through website/routing.py.
wagtail_page_urls = [
    *(p for p in wagtail_urls.urlpatterns if getattr(p, "name", "") != "wagtail_serve"),
    re_path(wagtail_urls.serve_pattern, routing.serve, name="wagtail_serve"),
]

# Pages: English at the root with no prefix, other content languages under /<code>/.
urlpatterns += i18n_patterns(
    path("themes/<slug:slug>/", topics.theme_page, name="theme"),
    path("audiences/<slug:slug>/", topics.audience_page, name="audience"),
    # A page's calendar file (webinars): Wagtail's page pattern lets no dot through.
    re_path(
        r"^(?P<path>(?:[\w\-]+/)*)calendar\.ics$",
        calendar_views.serve_calendar,
        name="webinar_calendar",
    ),
    path("", include(wagtail_page_urls)),
    prefix_default_language=False,
)

handler500 = "website.views.server_error"
