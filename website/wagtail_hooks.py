"""Admin: vocabularies, organisations and memberships under one "Site" menu."""

from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .models import Audience, Organisation, Theme


class VocabularyViewSet(SnippetViewSet):
    list_display = ["name", "slug", "sort_order"]
    search_fields = ["name", "description"]
    ordering = ["sort_order", "name"]


class ThemeViewSet(VocabularyViewSet):
    model = Theme
    icon = "tag"
    menu_label = "Themes"


class AudienceViewSet(VocabularyViewSet):
    model = Audience
    icon = "group"
    menu_label = "Audiences"


class OrganisationViewSet(SnippetViewSet):
    model = Organisation
    icon = "home"
    menu_label = "Organisations"
    list_display = ["name", "type", "region", "code"]
    list_filter = ["type", "region"]
    search_fields = ["name", "code"]
    ordering = ["name"]


class SiteRecordsGroup(SnippetViewSetGroup):
    items = (ThemeViewSet, AudienceViewSet, OrganisationViewSet)
    menu_icon = "folder-open-inverse"
    menu_label = "Vocabularies & organisations"
    menu_name = "site-records"


register_snippet(SiteRecordsGroup)
