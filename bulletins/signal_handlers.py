"""Signal handlers for bulletins, connected in ``BulletinsConfig.ready()``."""

from anymail.signals import tracking


def register_signal_handlers() -> None:
    """Provider webhooks (django-anymail) report bounces and complaints here."""
    from .bounces import handle_tracking_event

    tracking.connect(
        handle_tracking_event,
        dispatch_uid="bulletins.bounces.handle_tracking_event",
    )
