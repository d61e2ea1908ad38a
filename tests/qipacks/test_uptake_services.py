"""Recording uptake: the record, its append-only history, and national figures."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.utils import IntegrityError

from qipacks import services
from qipacks.models import UptakeChange, UptakeRecord, UptakeStatus
from tests.factories import OrganisationFactory, UserFactory, ensure_wagtail_tree
from tests.factories.qipacks import (
    QIPackIndexPageFactory,
    QIPackPageFactory,
    RecommendationFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def pack():
    from website.models import HomePage

    ensure_wagtail_tree()
    index = QIPackIndexPageFactory(parent=HomePage.objects.first())
    return QIPackPageFactory(parent=index)


def test_each_change_is_recorded_with_who_and_the_old_and_new_status(pack):
    recommendation = RecommendationFactory(pack=pack, applies_to=["cdop"])
    organisation = OrganisationFactory(type="cdop")
    lead = UserFactory(first_name="Asha", last_name="Patel")
    services.record_uptake(
        recommendation=recommendation,
        organisation=organisation,
        user=lead,
        status=UptakeStatus.PLANNED,
    )
    services.record_uptake(
        recommendation=recommendation,
        organisation=organisation,
        user=lead,
        status=UptakeStatus.IMPLEMENTED,
        evidence="Audit of 40 cases: all families given advice.",
    )
    # Saving the same again is not a change.
    services.record_uptake(
        recommendation=recommendation,
        organisation=organisation,
        user=lead,
        status=UptakeStatus.IMPLEMENTED,
        evidence="Audit of 40 cases: all families given advice.",
    )
    record = UptakeRecord.objects.get()
    assert record.status == UptakeStatus.IMPLEMENTED
    changes = list(record.changes.order_by("changed_at", "pk"))
    assert [(c.old_status, c.new_status) for c in changes] == [
        ("", "planned"),
        ("planned", "implemented"),
    ]
    assert changes[1].changed_by_name == "Asha Patel"
    assert changes[1].evidence.startswith("Audit")


def test_history_cannot_be_rewritten_even_with_sql(pack):
    recommendation = RecommendationFactory(pack=pack, applies_to=["cdop"])
    organisation = OrganisationFactory(type="cdop")
    services.record_uptake(
        recommendation=recommendation,
        organisation=organisation,
        user=UserFactory(),
        status=UptakeStatus.PLANNED,
    )
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        UptakeChange.objects.update(new_status=UptakeStatus.IMPLEMENTED)
    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE qipacks_uptakechange SET evidence = 'forged'")
    assert UptakeChange.objects.get().new_status == UptakeStatus.PLANNED


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"status": "done"}, "Choose one of the statuses"),
        ({"status": "not_applicable"}, "Say why"),
        ({"status": "not_applicable", "not_applicable_reason": "   "}, "Say why"),
    ],
)
def test_bad_responses_are_refused_and_write_nothing(pack, kwargs, message):
    recommendation = RecommendationFactory(pack=pack, applies_to=["cdop"])
    organisation = OrganisationFactory(type="cdop")
    with pytest.raises(ValidationError, match=message):
        services.record_uptake(
            recommendation=recommendation,
            organisation=organisation,
            user=UserFactory(),
            **kwargs,
        )
    assert not UptakeRecord.objects.exists()
    assert not UptakeChange.objects.exists()


def test_a_recommendation_for_other_kinds_of_organisation_is_refused(pack):
    recommendation = RecommendationFactory(pack=pack, applies_to=["police"])
    with pytest.raises(ValidationError, match="does not apply"):
        services.record_uptake(
            recommendation=recommendation,
            organisation=OrganisationFactory(type="cdop"),
            user=UserFactory(),
            status=UptakeStatus.PLANNED,
        )
    assert not UptakeRecord.objects.exists()


def test_national_uptake_counts_the_organisations_it_applies_to(
    pack, settings, django_assert_max_num_queries
):
    settings.UPTAKE_MIN_RESPONSES = 3
    first = RecommendationFactory(pack=pack, applies_to=["cdop", "police"])
    second = RecommendationFactory(pack=pack, applies_to=["police"])
    cdops = [OrganisationFactory(type="cdop") for _ in range(4)]
    forces = [OrganisationFactory(type="police") for _ in range(2)]
    OrganisationFactory(type="school")
    user = UserFactory()
    for organisation, status in zip(
        cdops + forces,
        ["implemented", "implemented", "planned", "not_applicable", "implemented"],
        strict=False,
    ):
        services.record_uptake(
            recommendation=first,
            organisation=organisation,
            user=user,
            status=status,
            not_applicable_reason="No such service here."
            if status == "not_applicable"
            else "",
        )
    with django_assert_max_num_queries(2):
        figures = services.national_uptake([first, second])
    one, two = figures[first.pk], figures[second.pk]
    assert (one.applicable, one.responses, one.implemented) == (6, 5, 3)
    assert one.denominator == 5  # one said it does not apply
    assert one.share_implemented == pytest.approx(0.6)
    assert one.enough_responses
    assert (two.applicable, two.responses, two.share_implemented) == (2, 0, 0.0)
    assert not two.enough_responses


def test_a_person_sees_only_their_own_organisations_records(pack):
    from tests.factories import MembershipFactory

    recommendation = RecommendationFactory(pack=pack, applies_to=["cdop"])
    mine, theirs = OrganisationFactory(type="cdop"), OrganisationFactory(type="cdop")
    lead = MembershipFactory(organisation=mine).user
    for organisation in (mine, theirs):
        services.record_uptake(
            recommendation=recommendation,
            organisation=organisation,
            user=lead,
            status=UptakeStatus.PLANNED,
        )
    assert list(services.records_for(lead).values_list("organisation", flat=True)) == [
        mine.pk
    ]
    assert services.can_edit(lead, mine) and not services.can_edit(lead, theirs)


@pytest.mark.django_db(transaction=True)
def test_two_first_responses_at_once_both_land_in_the_history(pack):
    """The second first response waits for the first, then follows it as a change."""
    import threading
    import time

    from django.db import connections

    recommendation = RecommendationFactory(pack=pack, applies_to=["cdop"])
    organisation = OrganisationFactory(type="cdop")
    first_user, second_user = UserFactory(), UserFactory()
    inserted, errors = threading.Event(), []

    def first():
        try:
            with transaction.atomic():
                services.record_uptake(
                    recommendation=recommendation,
                    organisation=organisation,
                    user=first_user,
                    status=UptakeStatus.PLANNED,
                )
                inserted.set()
                time.sleep(1.5)  # still uncommitted while the second one arrives
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    def second():
        try:
            inserted.wait(10)
            services.record_uptake(
                recommendation=recommendation,
                organisation=organisation,
                user=second_user,
                status=UptakeStatus.IN_PROGRESS,
            )
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert errors == []
    record = UptakeRecord.objects.get()
    assert record.status == UptakeStatus.IN_PROGRESS
    assert [
        (c.old_status, c.new_status, c.changed_by_id)
        for c in record.changes.order_by("changed_at", "pk")
    ] == [
        ("", "planned", first_user.pk),
        ("planned", "in_progress", second_user.pk),
    ]


def test_a_translated_pack_does_not_repeat_its_recommendations(pack):
    from wagtail.models import Locale

    RecommendationFactory(pack=pack, applies_to=["cdop"])
    polish = Locale.objects.get_or_create(language_code="pl")[0]
    translation = pack.copy_for_translation(polish, copy_parents=True)
    translation.save_revision().publish()
    assert translation.recommendations.count() == 1
    organisation = OrganisationFactory(type="cdop")
    assert [r.pack_id for r in services.recommendations_for(organisation)] == [pack.pk]
