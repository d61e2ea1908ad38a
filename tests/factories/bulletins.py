"""Factories for bulletins; pass ``parent=`` explicitly."""

import datetime as dt

import factory
import wagtail_factories

from bulletins.models import BulletinIndexPage, BulletinPage


class BulletinIndexPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = BulletinIndexPage

    title = "Bulletins"
    slug = "bulletins"


class BulletinPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = BulletinPage

    title = factory.Sequence(lambda n: f"Learning bulletin {n}")
    summary = "What is new this month."
    issue_number = factory.Sequence(lambda n: n + 1)
    issue_date = dt.date(2026, 11, 1)
    intro = "Welcome to this month's bulletin."
