"""axe-core (WCAG 2.2 AA) on every public page type, at desktop and at phone size.

One test per screen size walks every page (seeding the demo site costs more than
checking a page), and reports the violations of all of them together. Not covered:
the Wagtail admin (not our templates).
"""

from http import HTTPStatus

import pytest

# (label, path, expected status): one of each page type and template we own.
PAGES = [
    ("home page", "/", HTTPStatus.OK),
    ("standard page with lists", "/about/", HTTPStatus.OK),
    ("standard page with tags", "/accessibility-statement/", HTTPStatus.OK),
    ("page of NHS.UK components", "/about/how-reviews-work/", HTTPStatus.OK),
    ("404 page", "/no-such-page/", HTTPStatus.NOT_FOUND),
]

NHS_BLUE = "rgb(0, 94, 184)"


def open_styled(page, path: str, status: int) -> None:
    """Open ``path`` and make sure the page is really styled before judging it.

    axe's colour-contrast and target-size rules mean little on an unstyled page, so
    a missing stylesheet fails here rather than passing quietly.
    """
    response = page.goto(path)
    assert response is not None, f"no response for {path}"
    assert response.status == status, f"{path}: HTTP {response.status}"
    header_background = page.eval_on_selector(
        ".nhsuk-header", "el => getComputedStyle(el).backgroundColor"
    )
    assert header_background == NHS_BLUE, (
        f"{path}: the NHS.UK stylesheet did not apply (header background "
        f"{header_background}); failed requests: {page.diagnostics.failed_requests}"
    )


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_public_pages_have_no_serious_accessibility_violations(
    new_page, demo_site, axe_report, size
):
    page = new_page(size)
    reports = []
    for label, path, status in PAGES:
        open_styled(page, path, status)
        if path == "/":
            # Check the home page as people see it: featured cards, header
            # navigation and footer links all present.
            assert page.locator(".nhsuk-card-group .nhsuk-card__link").count() >= 3
            nav = page.get_by_role("navigation", name="Main")
            assert nav.get_by_role("link").count() >= 1
            assert page.locator("footer a[href]").count() >= 3
        report = axe_report(page, f"{label} ({path}) at {size} size")
        if report:
            reports.append(report)
    assert not reports, "\n\n".join(reports)


def test_axe_helper_reports_serious_violations(page, axe_report):
    """Guard the helper itself: a page with known failures must not pass."""
    page.set_content(
        "<html><head><title>Broken</title></head><body><main>"
        "<img src='data:image/gif;base64,R0lGODlhAQABAAAAACw='>"
        "<button></button></main></body></html>"
    )
    report = axe_report(page, "a deliberately broken page")
    for rule in ("html-has-lang", "image-alt", "button-name"):
        assert rule in report, report
