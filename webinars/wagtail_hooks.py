"""Webinars in the admin: each area registers its own hooks in its own module."""

from . import (  # noqa: F401 - imported for the hooks they register
    proposal_hooks,
    report_hooks,
    snippet_hooks,
)
