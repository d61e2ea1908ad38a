"""Search tests: content on several page types, indexed through the real code."""

from types import SimpleNamespace

import pytest

from search.indexing import reindex
from tests.factories import AudienceFactory, ThemeFactory
from tests.factories.bulletins import BulletinIndexPageFactory, BulletinPageFactory
from tests.factories.learning import (
    SafetyMessageIndexPageFactory,
    SafetyMessagePageFactory,
)
from tests.factories.qipacks import (
    QIPackIndexPageFactory,
    QIPackPageFactory,
    RecommendationFactory,
)


@pytest.fixture(autouse=True)
def _index_on_change(settings):
    settings.SEARCH_INDEX_ON_CHANGE = True


def _tag(page, themes=(), audiences=()):
    page.themes.add(*themes)
    page.audiences.add(*audiences)
    page.save_revision().publish()
    return page


@pytest.fixture
def content(site):
    """A safe-sleep message, a bulletin that mentions sleep once, a QI pack on
    suicide prevention with recommendations, each tagged."""
    sleep = ThemeFactory(name="Safe sleep", slug="safe-sleep")
    suicide = ThemeFactory(name="Suicide and self-harm", slug="suicide-self-harm")
    visitors = AudienceFactory(name="Health visitors", slug="health-visitors")
    schools = AudienceFactory(name="Schools", slug="schools")
    messages = SafetyMessageIndexPageFactory(parent=site)
    bulletins = BulletinIndexPageFactory(parent=site)
    packs = QIPackIndexPageFactory(parent=site)
    message = _tag(
        SafetyMessagePageFactory(
            parent=messages,
            title="Safe sleep for babies",
            summary="Back to sleep, in a clear cot, in the same room.",
            key_message="Put babies to sleep on their back in a clear, flat space.",
        ),
        [sleep],
        [visitors],
    )
    bulletin = _tag(
        BulletinPageFactory(
            parent=bulletins,
            title="November bulletin",
            summary="News from panels across England.",
            intro="Panels met in November. One item touches on sleep advice.",
        ),
        [],
        [schools],
    )
    pack = QIPackPageFactory(
        parent=packs,
        title="Learning from child suicide",
        summary="What reviews of deaths by suicide found, and what helps.",
    )
    RecommendationFactory(pack=pack, text="Review self-harm pathways with schools.")
    _tag(pack, [suicide], [schools])
    reindex()
    return SimpleNamespace(
        message=message,
        bulletin=bulletin,
        pack=pack,
        themes=(sleep, suicide),
        audiences=(visitors, schools),
    )
