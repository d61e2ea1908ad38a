"""Roll-ups of uptake: small tables the dashboards read instead of every record.

Both are kept exact by PostgreSQL triggers (migration 0002), in the same
transaction as whatever changed the records, the history, an organisation's type
or region, or a recommendation's types or pack. ``qipacks.rollups.rebuild_rollups``
recomputes them from scratch (nightly, and after anything that might bypass the
triggers, such as a restore). See docs/decisions/0006-uptake-records.md.

Neither has a database-level foreign key: rows are keyed by ids so a deleted
recommendation or pack never blocks on them (its rows reach zero and the triggers
delete them), and they are never edited through the ORM.
"""

from __future__ import annotations

from django.db import models

from website.models import Organisation

from .pages import QIPackPage, Recommendation


class UptakeTally(models.Model):
    """How many current records have each status, per recommendation and kind of
    organisation (region and type, as the organisations are now).

    Counts every record, applicable or not: readers apply "the recommendation
    applies to this type" themselves, so a change to ``applies_to`` needs no
    rework here.
    """

    recommendation = models.ForeignKey(
        Recommendation,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    region = models.CharField(max_length=8, choices=Organisation.Region.choices)
    organisation_type = models.CharField(
        max_length=32, choices=Organisation.Type.choices
    )
    not_started = models.IntegerField(default=0)
    planned = models.IntegerField(default=0)
    in_progress = models.IntegerField(default=0)
    implemented = models.IntegerField(default=0)
    not_applicable = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recommendation", "region", "organisation_type"],
                name="one_uptake_tally_per_kind",
            )
        ]

    def __str__(self):
        return f"{self.recommendation_id} {self.region} {self.organisation_type}"


class UptakeMonthly(models.Model):
    """Net changes into and out of "implemented" and "not applicable" per month.

    Per pack (not per recommendation: ten times fewer rows), region and type, and
    only for changes where the recommendation applies to the organisation's type,
    so the trend is a running sum of these rows. ``month`` is the first day of
    the month the change was made in, in ``settings.TIME_ZONE``.
    """

    pack = models.ForeignKey(
        QIPackPage, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    region = models.CharField(max_length=8, choices=Organisation.Region.choices)
    organisation_type = models.CharField(
        max_length=32, choices=Organisation.Type.choices
    )
    month = models.DateField()
    implemented = models.IntegerField(default=0)
    not_applicable = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["pack", "region", "organisation_type", "month"],
                name="one_uptake_monthly_per_kind",
            )
        ]

    def __str__(self):
        return f"{self.pack_id} {self.region} {self.organisation_type} {self.month}"
