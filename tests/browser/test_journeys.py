"""What people do with the public site, in a real browser: phone, keyboard, links."""

import os
import re
from http import HTTPStatus
from pathlib import Path

from playwright.sync_api import expect

PUBLIC_PATHS = [
    "/",
    "/about/",
    "/accessibility-statement/",
    "/about/how-reviews-work/",
    "/no-such-page/",
]
PHONE_WIDTH = 390

# Elements a keyboard user can Tab to: the visible, enabled, focusable ones. Each
# gets a data-focus-index so the Tab walk below can say which it reached.
_INDEX_FOCUSABLE = """
() => {
  const selector = 'a[href], area[href], button, input:not([type=hidden]), select, '
    + 'textarea, summary, iframe, [tabindex], [contenteditable]';
  const focusable = [...document.querySelectorAll(selector)].filter((el) => {
    if (el.disabled || el.getAttribute('tabindex') === '-1') return false;
    if (el.closest('[hidden], [inert]')) return false;
    if (el.tagName !== 'SUMMARY' && el.closest('details:not([open])')
        && !el.closest('summary')) return false;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') return false;
    return el.getClientRects().length > 0;
  });
  focusable.forEach((el, i) => el.setAttribute('data-focus-index', String(i)));
  return focusable.map(
    (el) => (el.textContent || el.outerHTML).replace(/\\s+/g, ' ').trim().slice(0, 60));
}
"""

# The parts of an element's computed style that can show focus.
_FOCUS_STYLE = """
(el) => {
  const s = getComputedStyle(el);
  return {
    outline: `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`,
    boxShadow: s.boxShadow,
    backgroundColor: s.backgroundColor,
    color: s.color,
    textDecoration: s.textDecorationLine + ' ' + s.textDecorationThickness,
  };
}
"""


def _visible_outline(style: dict) -> bool:
    kind, width, *colour = style["outline"].split(" ", 2)
    colour = colour[0] if colour else ""
    return (
        kind != "none"
        and width not in ("0px", "")
        and colour not in ("transparent", "rgba(0, 0, 0, 0)")
    )


def _focus_is_visible(before: dict, after: dict) -> bool:
    """Focus shows if a real outline appears or the shadow or background changes."""
    return (
        _visible_outline(after)
        or after["boxShadow"] != before["boxShadow"]
        or after["backgroundColor"] != before["backgroundColor"]
    )


def test_phone_user_skips_to_content_then_reads_about_page(
    mobile_page, demo_site, tmp_path
):
    page = mobile_page
    page.goto("/")
    expect(page.locator("h1")).to_be_visible()
    # A full-page picture for people to look at: in $CDR_BROWSER_SCREENSHOTS when
    # set, else in pytest's temporary directory.
    folder = Path(os.environ.get("CDR_BROWSER_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    screenshot = folder / "home-mobile.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000  # a real page, not a blank image

    page.keyboard.press("Tab")
    skip_link = page.locator(":focus")
    expect(skip_link).to_have_text("Skip to main content")
    expect(skip_link).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("#maincontent")).to_be_focused()

    about = page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="About"
    )
    expect(about).to_be_visible()
    about.tap()

    expect(page).to_have_url(re.compile(r"/about/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("About this platform")
    expect(page).to_have_title(re.compile(r"^About this platform – "))
    expect(about).to_have_attribute("aria-current", "page")
    assert not page.diagnostics.problems(), page.diagnostics.problems()


def test_footer_links_all_resolve(page, demo_site):
    page.goto("/")
    footer_links = page.locator("footer a[href]")
    labels = footer_links.all_inner_texts()
    assert labels[:3] == [
        "About this platform",
        "Accessibility statement",
        "Privacy notice",
    ]
    hrefs = [link.get_attribute("href") for link in footer_links.all()]
    broken = {}
    for href in hrefs:
        response = page.request.get(href)
        if response.status != HTTPStatus.OK:
            broken[href] = response.status
    assert not broken, f"footer links that do not return 200: {broken}"


def test_keyboard_reaches_every_interactive_element_with_visible_focus(page, demo_site):
    page.goto("/")
    names = page.evaluate(_INDEX_FOCUSABLE)
    assert len(names) >= 8, names  # skip link, header, nav, cards, footer...
    unfocused = {
        i: page.locator(f"[data-focus-index='{i}']").evaluate(_FOCUS_STYLE)
        for i in range(len(names))
    }

    reached, focused = [], {}
    for _ in range(len(names) + 10):
        page.keyboard.press("Tab")
        index = page.evaluate(
            "document.activeElement && "
            "document.activeElement.getAttribute('data-focus-index')"
        )
        if index is None:
            if reached:
                break  # Tab has left the last element
            continue
        index = int(index)
        if index in focused:
            break  # wrapped round
        reached.append(index)
        focused[index] = page.locator(":focus").evaluate(_FOCUS_STYLE)

    missed = [names[i] for i in range(len(names)) if i not in focused]
    assert not missed, f"not reachable by Tab: {missed}"
    assert reached == sorted(reached), "Tab order differs from reading order"

    first = reached[0]
    assert names[first] == "Skip to main content"
    assert _focus_is_visible(unfocused[first], focused[first]), (
        f"no visible focus on the first link: {unfocused[first]} -> {focused[first]}"
    )
    invisible = [
        f"{names[i]!r}: {unfocused[i]} -> {focused[i]}"
        for i in reached
        if not _focus_is_visible(unfocused[i], focused[i])
    ]
    assert not invisible, "no visible focus style on:\n" + "\n".join(invisible)


def test_public_pages_are_well_formed_and_error_free(new_page, demo_site):
    """On every public page, at both sizes: one h1, a language, a title, the
    front-end script running, no console or JS errors, no failed requests; on the
    phone, nothing wider than the screen (WCAG 1.4.10 reflow)."""
    problems = []
    for size in ("desktop", "phone"):
        page = new_page(size)
        for path in PUBLIC_PATHS:
            page.goto(path)
            where = f"{size} {path}"
            h1_count = page.locator("h1").count()
            if h1_count != 1:
                problems.append(f"{where}: {h1_count} h1 elements")
            lang = page.get_attribute("html", "lang") or ""
            if not re.fullmatch(r"[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*", lang):
                problems.append(f"{where}: html lang={lang!r}")
            if not page.title().strip():
                problems.append(f"{where}: empty <title>")
            # site.js (an ES module importing the NHS.UK frontend) marks the body
            # once it has run: if its import failed, the class is missing.
            body_class = page.get_attribute("body", "class") or ""
            if "nhsuk-frontend-supported" not in body_class:
                problems.append(f"{where}: site.js did not run ({body_class=})")
            if size == "phone":
                width = page.evaluate("document.documentElement.scrollWidth")
                if width > PHONE_WIDTH:
                    problems.append(f"{where}: {width}px wide, scrolls sideways")
        problems += [f"{size}: {p}" for p in page.diagnostics.problems()]
    assert not problems, "\n".join(problems)


def test_diagnostics_catch_errors_failed_files_and_other_hosts(page):
    """Guard the harness itself: what the tests above rely on it to notice."""
    page.goto("/static/website/css/site.css")  # any page on the live server
    with page.expect_event("pageerror"):
        page.add_script_tag(content="setTimeout(() => { throw new Error('boom'); })")
    with page.expect_console_message(lambda m: m.type == "error"):
        page.evaluate("console.error('logged')")
    with page.expect_response("**/static/no-such-file.css"):
        page.evaluate("fetch('/static/no-such-file.css')")
    page.evaluate("fetch('https://example.org/x').catch(() => null)")

    problems = page.diagnostics.problems()
    assert any(p.startswith("uncaught JS error:") and "boom" in p for p in problems)
    assert any(p.startswith("console error: logged") for p in problems)
    assert any(
        p.startswith("failed request:") and "no-such-file.css" in p for p in problems
    )
    assert "request to another host: https://example.org/x" in problems
