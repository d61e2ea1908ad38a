"""The site-wide app, settings and Celery application for cdr-learning."""

from .celery import app as celery_app

__all__ = ["celery_app"]
