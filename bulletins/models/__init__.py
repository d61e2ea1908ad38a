"""Bulletin pages, distribution lists and subscribers, sends and deliveries."""

from .distribution import (
    ConsentRecord,
    DistributionList,
    Subscriber,
    Subscription,
    normalise_email,
)
from .pages import (
    BulletinIndexPage,
    BulletinItem,
    BulletinPage,
    BulletinSection,
    absolute,
)
from .sending import (
    Delivery,
    DeliveryEvent,
    DigestRun,
    Send,
    SendSummary,
    SentMark,
    message_domain,
    message_id_for,
)

__all__ = [
    "BulletinIndexPage",
    "BulletinItem",
    "BulletinPage",
    "BulletinSection",
    "ConsentRecord",
    "Delivery",
    "DeliveryEvent",
    "DigestRun",
    "DistributionList",
    "Send",
    "SendSummary",
    "SentMark",
    "Subscriber",
    "Subscription",
    "absolute",
    "message_domain",
    "message_id_for",
    "normalise_email",
]
