"""Safety messages and learning materials in a real browser (issue 3, "Done when").

A midwife opens a forwarded link on a phone and must get the message at once; the
filters work without JavaScript and give shareable addresses; feedback can be
given without JavaScript; every page type passes axe; the print views fit one A4
sheet. Each test seeds the whole demo (``learning_site``) once and then visits
many pages, because seeding costs more than looking.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from learning.demo import LEARNING_RESOURCES, SAFETY_MESSAGES

SAFETY = "/safety-messages/"
LEARNING = "/learning/"
BRIEFING = f"{LEARNING}7-minute-briefing-new-child-death-review-arrangements/"
CRIB_SHEET = f"{LEARNING}crib-sheet-chairing-child-death-review-meetings/"
MODULE = f"{LEARNING}sudic-training-module-outline/"
PHONE = {"width": 390, "height": 844}

# The A4 sheet print.css asks for (@page { size: A4; margin: 12mm }), in CSS pixels
# (96 per inch). Chromium lays the printed page out in the 186 x 273 mm left inside
# the margins, but evaluates media queries against the whole 210 mm width: wide
# enough for the NHS.UK grid's desktop columns.
A4_WIDTH = round(210 / 25.4 * 96)
A4_CONTENT_WIDTH = round((210 - 2 * 12) / 25.4 * 96)
A4_CONTENT_HEIGHT = round((297 - 2 * 12) / 25.4 * 96)


# --- Helpers --------------------------------------------------------------------------


def assert_styled(page) -> None:
    """The NHS.UK stylesheet applied: axe and layout checks mean little without it."""
    width = page.eval_on_selector(
        ".nhsuk-width-container", "el => getComputedStyle(el).maxWidth"
    )
    assert width == "960px", (
        f"{page.url}: the NHS.UK stylesheet did not apply; failed requests: "
        f"{page.diagnostics.failed_requests}"
    )


def result_titles(page) -> list[str]:
    return page.locator(".site-results__item h3").all_inner_texts()


def result_count(page):
    """The "N results for ..." line above the results."""
    return page.locator("main p[role=status]")


def query_of(url: str) -> dict[str, list[str]]:
    """The non-empty query parameters of ``url`` (a GET form sends empty ones too)."""
    return parse_qs(urlsplit(url).query)


def submit(page, button_name: str, within: str = "main"):
    """Click a submit button and wait for the page it leads to; return the response."""
    with page.expect_navigation() as navigation:
        page.locator(within).get_by_role("button", name=button_name).click()
    return navigation.value


def pdf_page_count(pdf: bytes) -> int:
    """Pages in a PDF: ``/Type /Page`` objects (not the ``/Type /Pages`` tree)."""
    return len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", pdf))


# In print media, at the width of an A4 sheet's content: where each block of the
# main content starts and ends, to say what runs over the first sheet.
_PRINT_LAYOUT = """
(sheetHeight) => {
  const main = document.querySelector('main');
  const blocks = [...main.querySelectorAll(
    ':scope > *, .nhsuk-grid-column-two-thirds > *, .site-resource-body > *')];
  return {
    height: Math.round(Math.max(
      ...[...document.body.children].map((el) => el.getBoundingClientRect().bottom))),
    over: blocks
      .filter((el) => el.getBoundingClientRect().height > 0
        && !el.classList.contains('nhsuk-grid-row')
        && !el.classList.contains('nhsuk-grid-column-two-thirds')
        && !el.classList.contains('site-resource-body')
        && el.getBoundingClientRect().bottom > sheetHeight)
      .map((el) => {
        const r = el.getBoundingClientRect();
        const text = (el.textContent || '').replace(/\\s+/g, ' ').trim().slice(0, 50);
        return `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} `
          + `(${Math.round(r.top)}-${Math.round(r.bottom)}px) "${text}"`;
      }),
  };
}
"""


def print_overflow(page) -> str:
    """Describe how far the printed content runs past one A4 sheet, and what does.

    An estimate, made as Chromium prints: print media, media queries seeing the
    sheet's full width, the content laid out in the width inside the margins.
    """
    viewport = page.viewport_size
    page.emulate_media(media="print")
    page.set_viewport_size({"width": A4_WIDTH, "height": A4_CONTENT_HEIGHT})
    page.evaluate(
        "(width) => document.documentElement.style.setProperty('width', width)",
        f"{A4_CONTENT_WIDTH}px",
    )
    try:
        layout = page.evaluate(_PRINT_LAYOUT, A4_CONTENT_HEIGHT)
    finally:
        page.evaluate("document.documentElement.style.removeProperty('width')")
        page.set_viewport_size(viewport)
    return (
        f"printed height about {layout['height']}px against {A4_CONTENT_HEIGHT}px "
        f"on one sheet ({A4_CONTENT_WIDTH}px wide); past the first sheet:\n    "
        + "\n    ".join(layout["over"])
    )


def submit_feedback_without_an_answer(page, path: str):
    """Open ``path`` and send the feedback form empty; return the error response."""
    page.goto(path)
    return submit(page, "Send feedback", within="#feedback")


# --- A phone reader gets the message first --------------------------------------------


def test_phone_reader_sees_key_message_without_scrolling(mobile_page, learning_site):
    """Every safety message, English and translated: the key message is wholly in
    the first screen of a 390x844 phone, under the title, before any scrolling."""
    page = mobile_page
    messages = [*learning_site.messages.values(), *learning_site.translations.values()]
    assert len(messages) >= 8  # six messages and two translations
    problems = []
    for message in messages:
        response = page.goto(message.url)
        assert response.status == HTTPStatus.OK, message.url
        assert_styled(page)
        assert page.evaluate("window.scrollY") == 0
        key = page.locator(".site-key-message")
        expect(key).to_be_visible()
        expect(key).to_contain_text(message.key_message)
        box = key.bounding_box()
        top, bottom = box["y"], box["y"] + box["height"]
        title = page.locator("h1").bounding_box()
        title_bottom = title["y"] + title["height"]
        where = f"{message.url}: key message at {top:.0f}-{bottom:.0f}px"
        if top < 0 or bottom > PHONE["height"]:
            problems.append(f"{where}, not inside the first {PHONE['height']}px")
        if title_bottom > top:
            problems.append(f"{where}, but the h1 ends at {title_bottom:.0f}px")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            problems.append(f"{message.url}: {width}px wide, scrolls sideways")
    problems += page.diagnostics.problems()
    assert not problems, "\n".join(problems)


# --- Filters: narrow, shareable, clearable, with or without JavaScript ----------------


def check_filters_narrow_and_reload(page, index: str, choices, every: list[str]):
    """Choose each ``(name, value, expected titles)`` in turn, applying the filters
    after each; then reload (the address alone gives the same page) and clear."""
    page.goto(index)
    assert_styled(page)
    assert sorted(result_titles(page)) == sorted(every)
    expect(result_count(page)).to_have_text(f"{len(every)} results")
    chosen = {}
    for name, value, expected in choices:
        select = page.locator(f"#filter-{name}")
        label = select.locator(f"option[value='{value}']").inner_text()
        select.select_option(value)
        response = submit(page, "Apply filters")
        assert response.status == HTTPStatus.OK
        chosen[name] = [value]
        assert query_of(page.url) == chosen, page.url
        titles = sorted(result_titles(page))
        assert titles == sorted(expected), f"{page.url}: {titles}"
        assert 0 < len(titles) < len(every), "the filter should narrow the results"
        # The option shows how many it would give, and the count says what is on.
        assert label.endswith(f"({len(expected)})"), label
        noun = "result" if len(expected) == 1 else "results"
        expect(result_count(page)).to_contain_text(f"{len(expected)} {noun} for")
        expect(result_count(page)).to_contain_text(label.rsplit(" (", 1)[0])

    shared = page.url
    count_text = result_count(page).inner_text()
    titles = result_titles(page)
    page.reload()
    assert page.url == shared
    assert result_titles(page) == titles
    expect(result_count(page)).to_have_text(count_text)
    for name, (value,) in chosen.items():
        expect(page.locator(f"#filter-{name}")).to_have_value(value)

    # A shared link opened fresh (new tab, no history) gives the same results too.
    fresh = page.context.new_page()
    fresh.goto(shared)
    assert fresh.locator(".site-results__item h3").all_inner_texts() == titles
    fresh.close()

    with page.expect_navigation():
        page.get_by_role("link", name="Clear filters").click()
    assert urlsplit(page.url).path == index and not urlsplit(page.url).query
    assert sorted(result_titles(page)) == sorted(every)
    expect(result_count(page)).to_have_text(f"{len(every)} results")
    for name in chosen:
        expect(page.locator(f"#filter-{name}")).to_have_value("")


def _titles(specs, **wanted) -> list[str]:
    """Titles of the demo specs tagged with every ``field=value`` in ``wanted``."""
    return [
        spec["title"]
        for spec in specs
        if all(
            value in spec[field]
            if isinstance(spec[field], list)
            else value == spec[field]
            for field, value in wanted.items()
        )
    ]


def test_safety_message_filters_narrow_results_and_reload(page, learning_site):
    every = _titles(SAFETY_MESSAGES)
    check_filters_narrow_and_reload(
        page,
        SAFETY,
        [
            ("theme", "safe-sleep", _titles(SAFETY_MESSAGES, themes="safe-sleep")),
            (
                "audience",
                "midwives",
                _titles(SAFETY_MESSAGES, themes="safe-sleep", audiences="midwives"),
            ),
        ],
        every,
    )
    assert not page.diagnostics.problems(), page.diagnostics.problems()


def test_learning_filters_work_without_javascript(new_page_without_js, learning_site):
    page = new_page_without_js("phone")
    every = _titles(LEARNING_RESOURCES)
    check_filters_narrow_and_reload(
        page,
        LEARNING,
        [
            ("type", "crib-sheet", _titles(LEARNING_RESOURCES, kind="crib-sheet")),
            (
                "audience",
                "health-visitors",
                _titles(
                    LEARNING_RESOURCES, kind="crib-sheet", audiences="health-visitors"
                ),
            ),
        ],
        every,
    )
    # Really without JavaScript: site.js never ran.
    assert "nhsuk-frontend-supported" not in (page.get_attribute("body", "class") or "")
    assert not page.diagnostics.problems(), page.diagnostics.problems()


# --- Feedback without JavaScript ------------------------------------------------------


def test_feedback_can_be_given_without_javascript(new_page_without_js, learning_site):
    from website.models import PageFeedback

    page = new_page_without_js("phone")
    message = learning_site.messages["car-seats"]
    comment = "Nothing on second-hand car seats, or what to do after a crash."

    page.goto(message.url)
    assert "nhsuk-frontend-supported" not in (page.get_attribute("body", "class") or "")
    feedback = page.locator("#feedback")
    feedback.get_by_role("radio", name="No").check()
    feedback.get_by_label("What was missing? (optional)").fill(comment)
    response = submit(page, "Send feedback", within="#feedback")
    assert response.status == HTTPStatus.OK
    assert page.url.endswith(f"{message.url}?feedback=thanks#feedback"), page.url
    expect(
        page.get_by_role("heading", name="Thank you for your feedback")
    ).to_be_visible()
    stored = list(PageFeedback.objects.filter(page_id=message.pk))
    assert [(f.useful, f.comment) for f in stored] == [(False, comment)]
    assert PageFeedback.objects.count() == 1

    # Nothing chosen: the errors, the form again, a 400, and nothing stored.
    response = submit_feedback_without_an_answer(page, message.url)
    assert response.status == HTTPStatus.BAD_REQUEST
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link")).to_have_text(
        "Select yes if this page was useful, or no if it was not"
    )
    expect(page.locator("h1")).to_have_text(
        f"Your feedback on {message.title} was not sent"
    )
    assert PageFeedback.objects.count() == 1

    # The error page's form works too: answer and send again.
    page.locator("#feedback").get_by_role("radio", name="Yes").check()
    response = submit(page, "Send feedback", within="#feedback")
    assert response.status == HTTPStatus.OK
    assert page.url.endswith(f"{message.url}?feedback=thanks#feedback"), page.url
    assert sorted(
        PageFeedback.objects.filter(page_id=message.pk).values_list("useful", flat=True)
    ) == [False, True]

    # Chromium reports the 400 of the error page itself; nothing else may fail.
    problems = [
        p
        for p in page.diagnostics.problems()
        if not ("status of 400" in p and "/feedback/" in p)
    ]
    assert not problems, problems


# --- axe-core on every page type ------------------------------------------------------

# (label, path, status): one of each page type and template this issue added.
AXE_PAGES = [
    ("safety message index", SAFETY, HTTPStatus.OK),
    ("safety message", f"{SAFETY}button-batteries/", HTTPStatus.OK),
    ("safety message print view", f"{SAFETY}button-batteries/print/", HTTPStatus.OK),
    ("learning index", LEARNING, HTTPStatus.OK),
    ("7-minute briefing", BRIEFING, HTTPStatus.OK),
    ("crib sheet", CRIB_SHEET, HTTPStatus.OK),
    ("training module", MODULE, HTTPStatus.OK),
    ("theme page", "/themes/safe-sleep/", HTTPStatus.OK),
    ("audience page", "/audiences/midwives/", HTTPStatus.OK),
    ("Polish translation", f"/pl{SAFETY}safer-sleep/", HTTPStatus.OK),
    ("Urdu translation", f"/ur{SAFETY}safer-sleep/", HTTPStatus.OK),
    ("filtered index, no results", f"{SAFETY}?theme=no-such-theme", HTTPStatus.OK),
    ("filtered learning index", f"{LEARNING}?type=crib-sheet", HTTPStatus.OK),
]


def check_page(page, label: str, path: str) -> list[str]:
    """What each page must show besides passing axe."""
    problems = []
    if page.locator("h1").count() != 1:
        problems.append(f"{label}: {page.locator('h1').count()} h1 elements")
    html = page.locator("html")
    lang, direction = html.get_attribute("lang"), html.get_attribute("dir")
    if path.startswith("/ur/") and (lang, direction) != ("ur", "rtl"):
        problems.append(f"{label}: html lang={lang!r} dir={direction!r}")
    if path.startswith("/pl/") and (lang, direction) != ("pl", "ltr"):
        problems.append(f"{label}: html lang={lang!r} dir={direction!r}")
    if "no-such-theme" in path:
        count = result_count(page).inner_text()
        notice = page.locator("main .nhsuk-inset-text").inner_text()
        if not count.startswith("0 results") or "no theme called" not in notice:
            problems.append(f"{label}: count {count!r}, notice {notice!r}")
    if path.endswith("/print/"):
        url = page.locator(".site-print-url").inner_text()
        if not url.endswith("/safety-messages/button-batteries/"):
            problems.append(f"{label}: no address to read it online ({url!r})")
    if page.viewport_kind == "phone":
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            problems.append(f"{label}: {width}px wide, scrolls sideways")
    return problems


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_learning_pages_have_no_serious_accessibility_violations(
    new_page, learning_site, axe_report, size
):
    page = new_page(size)
    reports, problems = [], []
    for label, path, status in AXE_PAGES:
        response = page.goto(path)
        assert response.status == status, f"{path}: HTTP {response.status}"
        assert_styled(page)
        problems += check_page(page, label, path)
        report = axe_report(page, f"{label} ({path}) at {size} size")
        if report:
            reports.append(report)

    # The page people see when their feedback could not be taken.
    response = submit_feedback_without_an_answer(page, f"{SAFETY}bath-seats/")
    assert response.status == HTTPStatus.BAD_REQUEST
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    report = axe_report(page, f"feedback error page at {size} size")
    if report:
        reports.append(report)

    problems += [
        p
        for p in page.diagnostics.problems()
        if not ("status of 400" in p and "/feedback/" in p)
    ]
    assert not reports + problems, "\n\n".join(reports + problems)


# --- Printing on one A4 sheet ---------------------------------------------------------

HIDDEN_IN_PRINT = {
    "header": ".nhsuk-header",
    "footer": ".nhsuk-footer",
    "share": ".site-share",
    "feedback": "#feedback",
}


def assert_site_furniture_hidden(page) -> None:
    for what, selector in HIDDEN_IN_PRINT.items():
        assert not page.locator(selector).is_visible(), f"{page.url}: {what} prints"


def test_safety_message_prints_on_one_a4_sheet(page, learning_site):
    """The message page prints without the site around it and links to its print
    view; each English message's print view shows the message and its address,
    and fits one A4 page."""
    from urllib.parse import unquote

    message = learning_site.messages["button-batteries"]
    page.goto(message.url)
    share = page.locator(".site-share")
    expect(share.get_by_label("Link to this page")).to_have_value(message.full_url)
    email = share.get_by_role("link", name="Share by email")
    href = unquote(email.get_attribute("href"))
    assert href.startswith(f"mailto:?subject={message.title}&body=")
    assert href.endswith(f"\n\n{message.full_url}"), href
    expect(page.locator("#feedback")).to_be_visible()
    page.emulate_media(media="print")
    assert_site_furniture_hidden(page)
    expect(page.locator(".site-key-message")).to_be_visible()
    page.emulate_media(media="screen")
    with page.expect_navigation():
        share.get_by_role("link", name="Print this message").click()
    assert page.url.endswith(f"{message.url}print/"), page.url

    counts, overflow = {}, []
    for message in learning_site.messages.values():
        response = page.goto(f"{message.url}print/")
        assert response.status == HTTPStatus.OK
        assert_styled(page)
        page.emulate_media(media="print")
        assert_site_furniture_hidden(page)
        expect(page.locator("h1")).to_have_text(message.title)
        expect(page.get_by_text(message.key_message)).to_be_visible()
        address = page.locator(".site-print-url")
        expect(address).to_be_visible()
        expect(address).to_have_text(f"Read online: {message.full_url}")
        assert message.full_url.startswith("http")
        pages = pdf_page_count(page.pdf(format="A4"))
        counts[message.slug] = pages
        if pages != 1:
            overflow.append(
                f"{message.url}print/: {pages} pages; {print_overflow(page)}"
            )
        page.emulate_media(media="screen")
    assert not page.diagnostics.problems(), page.diagnostics.problems()
    assert not overflow, f"A4 pages per print view: {counts}\n" + "\n".join(overflow)


def test_seven_minute_briefing_prints_on_one_a4_sheet(page, learning_site):
    """A 7-minute briefing is "printable on one sheet": numbered sections, no site
    furniture, one A4 page."""
    page.goto(BRIEFING)
    assert_styled(page)
    page.emulate_media(media="print")
    assert_site_furniture_hidden(page)
    headings = page.locator(".site-briefing__body > h2")
    assert headings.count() >= 5
    # Each section heading carries its number (generated by a CSS counter).
    numbering = [
        headings.nth(i).evaluate(
            "el => [getComputedStyle(el).counterIncrement,"
            " getComputedStyle(el, '::before').content]"
        )
        for i in range(headings.count())
    ]
    unnumbered = [
        (i, increment, content)
        for i, (increment, content) in enumerate(numbering, 1)
        if increment == "none" or "counter(" not in content
    ]
    assert not unnumbered, f"section headings without a number: {unnumbered}"
    pages = pdf_page_count(page.pdf(format="A4"))
    assert pages == 1, f"{BRIEFING} prints on {pages} A4 pages; {print_overflow(page)}"
    assert not page.diagnostics.problems(), page.diagnostics.problems()
