"""Bulletin email rendering: MJML compile once, personalise per recipient.

``.venv/bin/python bench/email_render.py``: a fresh embedded platform with the demo
content, an 8-article bulletin, then times (a) the whole compile (Django templates
+ MRML), (b) MRML alone on the same MJML, (c) personalising for one recipient and
(d) building a full MIME message per recipient with Django's EmailMultiAlternatives,
the cost the send pipeline must avoid. Last line of stdout: one JSON object.
"""

import datetime as dt
import json
import os
import statistics
import time

from _common import embedded_platform, log, rounded

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "300"))


def median_ms(fn, rounds=ROUNDS) -> float:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(samples), 4)


def make_bulletin():
    from bulletins.models import BulletinIndexPage, BulletinPage
    from learning.models import LearningResourcePage, SafetyMessagePage
    from website.models import HomePage

    home = HomePage.objects.get(depth=2, locale__language_code="en-gb")
    index = BulletinIndexPage(title="Bulletins", slug="bulletins")
    home.add_child(instance=index)
    pages = list(SafetyMessagePage.objects.filter(locale__language_code="en-gb"))
    pages += list(LearningResourcePage.objects.all())
    items = [("page_item", {"page": p, "summary": ""}) for p in pages[:8]]
    bulletin = BulletinPage(
        title="Learning bulletin",
        slug="learning-bulletin",
        summary="Eight things from the programme.",
        issue_number=1,
        issue_date=dt.date(2026, 11, 1),
        intro="Welcome to the first bulletin.",
        sections=[
            ("section", {"heading": "Safety messages", "items": items[:5]}),
            ("section", {"heading": "Learning", "items": items[5:8]}),
        ],
    )
    index.add_child(instance=bulletin)
    return bulletin


def main() -> dict:
    results: dict = {"bench": "email_render", "rounds": ROUNDS}
    with embedded_platform(results):
        from django.core.mail import EmailMultiAlternatives
        from django.core.management import call_command
        from django.template.loader import render_to_string
        from mjml import mjml2html

        from bulletins.email import compile_bulletin, email_context, personalise

        call_command("seed_demo", verbosity=0)
        bulletin = make_bulletin()
        items = sum(len(s.items) for s in bulletin.get_sections())
        results["articles"] = items
        mjml_source = render_to_string("emails/bulletin.mjml", email_context(bulletin))
        email = compile_bulletin(bulletin)
        results["html_bytes"] = len(email.html.encode())
        results["longest_html_line"] = max(
            len(line) for line in email.html.splitlines()
        )
        results["compile_ms"] = median_ms(lambda: compile_bulletin(bulletin), 100)
        results["mrml_only_ms"] = median_ms(lambda: mjml2html(mjml_source))
        results["personalise_ms"] = median_ms(
            lambda: personalise(
                email,
                name="Asha Patel",
                unsubscribe_url="https://learning.example.org/u/token",
                preferences_url="https://learning.example.org/p/token",
            )
        )

        def build_mime():
            html, text = personalise(
                email, name="Asha", unsubscribe_url="u", preferences_url="p"
            )
            message = EmailMultiAlternatives(
                email.subject, text, "from@example.org", ["to@example.org"]
            )
            message.attach_alternative(html, "text/html")
            return message.message().as_bytes()

        results["django_mime_per_recipient_ms"] = median_ms(build_mime, 100)
        log(json.dumps(results))
    return rounded(results)


if __name__ == "__main__":
    print(json.dumps(main()))
