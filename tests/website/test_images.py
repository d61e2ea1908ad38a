"""Images on public pages: renditions in a srcset, sizes, lazy loading, no shift."""

import datetime as dt
import io

import pytest
from bs4 import BeautifulSoup
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image as PILImage
from wagtail.images import get_image_model

from tests.factories import StandardPageFactory
from tests.factories.webinars import SpeakerFactory, WebinarPageFactory, webinar_tree
from webinars.models import WebinarSpeaker

pytestmark = pytest.mark.django_db


def _image(width: int, height: int, title: str = "Diagram"):
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), (0, 94, 184)).save(buffer, format="PNG")
    file = ContentFile(buffer.getvalue(), name="diagram.png")
    return get_image_model().objects.create(title=title, file=file)


def _imgs(response) -> list:
    soup = BeautifulSoup(response.content, "html.parser")
    return soup.select("main img")


def _srcset_widths(img) -> list[int]:
    return [int(item.split()[1][:-1]) for item in img["srcset"].split(", ")]


def test_a_body_image_has_a_srcset_sizes_lazy_loading_and_its_size(client, site):
    page = StandardPageFactory(
        parent=site,
        body=[
            (
                "image",
                {
                    "image": _image(1600, 1000),
                    "alt_text": "A safe cot: flat mattress, no pillows or toys",
                    "decorative": False,
                    "caption": "A clear, flat, separate sleep space.",
                },
            )
        ],
    )

    (img,) = _imgs(client.get(page.url))

    assert _srcset_widths(img) == [400, 640, 960, 1280]
    assert img["sizes"] == "(min-width: 990px) 640px, 100vw"
    assert img["src"] in img["srcset"]
    assert (img["width"], img["height"]) == ("400", "250")  # the ratio, no shift
    assert img["loading"] == "lazy"
    assert img["alt"] == "A safe cot: flat mattress, no pillows or toys"
    assert "/images/" in img["src"]  # a rendition, never the original upload


def test_a_decorative_image_has_empty_alt_text(client, site):
    page = StandardPageFactory(
        parent=site,
        body=[
            (
                "image",
                {"image": _image(800, 400), "alt_text": "", "decorative": True},
            )
        ],
    )

    (img,) = _imgs(client.get(page.url))

    assert img["alt"] == ""
    assert img["loading"] == "lazy"


def test_a_speaker_photo_is_sharp_on_high_density_screens_and_lazy(client, site):
    _, series = webinar_tree(site)
    webinar = WebinarPageFactory(
        parent=series, starts_at=timezone.now() + dt.timedelta(days=7)
    )
    speaker = SpeakerFactory(
        name="Dr Ada Lane",
        photo=_image(600, 600, "Portrait"),
        photo_alt="Ada Lane smiling, in a blue jacket",
    )
    WebinarSpeaker.objects.create(page=webinar, speaker=speaker, sort_order=0)

    (img,) = _imgs(client.get(webinar.url))

    assert _srcset_widths(img) == [96, 192]
    assert img["sizes"] == "96px"
    assert (img["width"], img["height"]) == ("96", "96")
    assert img["loading"] == "lazy"
    assert img["alt"] == "Ada Lane smiling, in a blue jacket"
