"""Speakers as snippets."""

from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import Speaker


class SpeakerViewSet(SnippetViewSet):
    model = Speaker
    icon = "user"
    menu_label = "Speakers"
    add_to_admin_menu = False
    list_display = ["name", "role", "organisation"]
    search_fields = ["name", "organisation"]


register_snippet(SpeakerViewSet)
