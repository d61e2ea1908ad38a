"""Factories for distribution lists, subscribers and subscriptions."""

import factory
from django.utils import timezone

from bulletins.models import DistributionList, Subscriber, Subscription


class DistributionListFactory(factory.django.DjangoModelFactory):
    """A public list carrying every theme and audience unless given some.

    ``DistributionListFactory(themes=[t], audiences=[a])`` sets the M2M fields.
    """

    class Meta:
        model = DistributionList
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"List {n}")
    slug = factory.Sequence(lambda n: f"list-{n}")
    description = "A distribution list used in tests."
    visibility = DistributionList.Visibility.PUBLIC

    @factory.post_generation
    def themes(self, create, extracted, **kwargs):
        if create and extracted:
            self.themes.set(extracted)

    @factory.post_generation
    def audiences(self, create, extracted, **kwargs):
        if create and extracted:
            self.audiences.set(extracted)


class SubscriberFactory(factory.django.DjangoModelFactory):
    """A confirmed, active subscriber."""

    class Meta:
        model = Subscriber

    email = factory.Sequence(lambda n: f"reader{n}@example.org")
    name = factory.Sequence(lambda n: f"Reader {n}")
    status = Subscriber.Status.ACTIVE
    confirmed_at = factory.LazyFunction(timezone.now)


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    subscriber = factory.SubFactory(SubscriberFactory)
    distribution_list = factory.SubFactory(DistributionListFactory)
    frequency = Subscription.Frequency.IMMEDIATE
