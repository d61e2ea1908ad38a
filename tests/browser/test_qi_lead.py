"""A QI lead in a real browser: signs in (password, then the code from their app),
sees the to-do list, updates a recommendation with evidence and a file, and sees
the change in the history and in their progress; axe-core on every page. On a
phone: the first sign-in, setting up the app from the key shown, backup codes.
"""

from __future__ import annotations

import base64
import re
from urllib.parse import urlsplit

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from qipacks.models import UptakeChange, UptakeRecord
from tests.qipacks.qi_helpers import (
    PASSWORD,
    PDF,
    add_app,
    code_for,
    evidence_files,
    make_world,
    remove_new_evidence_files,
)


@pytest.fixture
def world(transactional_db, settings):
    """Committed, so the live server's thread sees it."""
    from django.core.cache import cache

    cache.clear()
    settings.UPTAKE_MIN_RESPONSES = 1
    before = evidence_files()
    yield make_world()
    remove_new_evidence_files(before)


def submit(page, button_name: str):
    with page.expect_navigation() as navigation:
        page.locator("main").get_by_role("button", name=button_name, exact=True).click()
    return navigation.value


def test_a_qi_lead_updates_a_recommendation_and_sees_it_in_history_and_progress(
    page, world, axe
):
    device = add_app(world.lead_a)

    # Any /qi/ address leads to sign-in first.
    page.goto("/qi/")
    assert urlsplit(page.url).path == "/qi/login/"
    expect(page.locator("h1")).to_have_text("Sign in to the QI lead area")
    axe(page, "login")

    # A wrong password: an error summary linked to the field.
    page.get_by_label("Username").fill("lead-a")
    page.get_by_label("Password").fill("not-the-password")
    response = submit(page, "Continue")
    assert response.status == 400
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("The username or password is not right")
    axe(page, "login with errors")

    page.get_by_label("Password").fill(PASSWORD)
    submit(page, "Continue")
    assert urlsplit(page.url).path == "/qi/verify/"
    expect(page.locator("h1")).to_have_text("Enter your security code")
    axe(page, "verify")

    page.get_by_label("Security code").fill(code_for(device))
    submit(page, "Continue")
    assert urlsplit(page.url).path == "/qi/CDOPA/"
    expect(page.locator("h1")).to_have_text("Recommendations to respond to")
    main = page.locator("main")
    expect(main.get_by_role("heading", name="Safer sleep for infants")).to_be_visible()
    expect(
        main.get_by_role("heading", name="Learning from child suicide")
    ).to_be_visible()
    expect(main).not_to_contain_text("Commission bereavement support")
    r1_row = main.locator("tr", has_text="Give every family safer-sleep advice")
    expect(r1_row).to_contain_text("Overdue")
    expect(r1_row).to_contain_text("No response yet")
    expect(main.locator("tr", has_text="Audit safer-sleep")).to_contain_text("Due soon")
    axe(page, "to-do")

    # Update R1 of the safer sleep pack, with evidence text and a small file.
    r1_row.get_by_role("link").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("Recommendation R1")
    expect(page.locator("#history")).to_be_visible()
    axe(page, "update")

    page.get_by_role("radio", name="Implemented").check()
    page.get_by_label("Evidence (optional)").fill(
        "Audit of 40 cases: every family was given safer-sleep advice."
    )
    page.get_by_label("Attach an evidence file (optional)").set_input_files(
        files=[{"name": "audit.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    response = submit(page, "Save response")
    assert response.status == 200
    expect(page.locator(".nhsuk-notification-banner--success")).to_contain_text(
        "Your response to R1 is saved: Implemented."
    )
    expect(page.locator("#current-status")).to_have_text("Implemented")
    expect(page.locator("#current-evidence")).to_contain_text("Audit of 40 cases")
    history = page.locator("#history-table")
    expect(history).to_contain_text("Asha Patel")
    expect(history).to_contain_text("First response: Implemented")
    expect(page.get_by_role("link", name="audit.pdf")).to_be_visible()
    axe(page, "update saved, with history")

    record = UptakeRecord.objects.get(organisation=world.org_a, recommendation=world.r1)
    assert record.status == "implemented"
    assert record.evidence_document.original_name == "audit.pdf"
    assert UptakeChange.objects.filter(record=record).count() == 1

    # The evidence file downloads as an attachment.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="audit.pdf").click()
    download = download_info.value
    assert download.suggested_filename == "audit.pdf"

    # Back on the to-do list, R1 is implemented and no longer overdue.
    page.get_by_role("link", name="To do").click()
    page.wait_for_load_state()
    r1_row = page.locator("main tr", has_text="Give every family safer-sleep advice")
    expect(r1_row).to_contain_text("Implemented")
    expect(r1_row).not_to_contain_text("Overdue")

    # Progress: 1 of the 2 safer-sleep recommendations for CDOPs implemented.
    page.get_by_role("link", name="Progress").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("Your progress")
    share = page.locator(f"#share-{world.sleep.pk}")
    expect(share.locator('[data-share="own"]')).to_have_text("50%")
    statuses = page.locator(f"#statuses-{world.sleep.pk}")
    expect(statuses.locator('[data-status="implemented"]')).to_have_text("1")
    expect(page.locator("svg.qi-chart").first).to_be_visible()
    axe(page, "progress")

    # Sign out (a button, so nothing signs anyone out by accident).
    page.get_by_role("link", name="Sign out").click()
    page.wait_for_load_state()
    axe(page, "sign out")
    submit(page, "Sign out")
    assert urlsplit(page.url).path == "/qi/login/"
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("signed out")
    page.goto("/qi/CDOPA/")
    assert urlsplit(page.url).path == "/qi/login/"

    # The only console message allowed: Chromium logging the wrong password's 400.
    problems = [
        p
        for p in page.diagnostics.problems()
        if not re.search(r"status of 400 .*/qi/login/\]$", p)
    ]
    assert not problems, problems


def test_first_sign_in_on_a_phone_sets_up_the_app_and_shows_backup_codes(
    mobile_page, world, axe
):
    page = mobile_page
    page.goto("/qi/login/")
    page.get_by_label("Username").fill("lead-c")
    page.get_by_label("Password").fill(PASSWORD)
    submit(page, "Continue")
    assert urlsplit(page.url).path == "/qi/setup/"
    expect(page.locator("h1")).to_have_text("Set up your authenticator app")
    qr = page.get_by_role("img", name="QR code to scan with your authenticator app")
    expect(qr).to_be_visible()
    axe(page, "setup on a phone")

    # Someone who cannot scan types the key: it gives the same codes.
    key = page.locator("#setup-key code").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", key)
    code = f"{totp(base64.b32decode(key)):06d}"
    page.get_by_label("6-digit code from the app").fill(code)
    submit(page, "Confirm and continue")
    assert urlsplit(page.url).path == "/qi/backup-codes/"
    codes = page.locator(".qi-backup-codes li")
    expect(codes).to_have_count(10)
    axe(page, "backup codes on a phone")

    page.get_by_role("link", name="I have saved my codes, continue").click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path == "/qi/ICBC/"
    expect(page.locator("main")).to_contain_text("Commission bereavement support")
    axe(page, "to-do on a phone")
    assert not page.diagnostics.problems(), page.diagnostics.problems()
