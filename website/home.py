"""Sections other apps add to the home page (latest safety messages, webinars...).

An app registers a provider in its ``AppConfig.ready()``; the home page asks each
in turn, so ``website`` never imports another app's models.
"""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class HomeSection:
    """One block of the home page: a heading, some pages and a link to see more."""

    heading: str
    items: list = field(default_factory=list)
    more_url: str = ""
    more_label: str = ""
    empty_text: str = ""
    order: int = 100


_providers: list[Callable] = []


def register_home_section(provider: Callable) -> Callable:
    """Register ``provider(home_page, request) -> HomeSection | None``."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def home_sections(home_page, request) -> list[HomeSection]:
    sections = [provider(home_page, request) for provider in _providers]
    return sorted((s for s in sections if s is not None), key=lambda s: s.order)
