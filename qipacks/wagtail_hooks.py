"""Admin for QI packs: each part registers its own hooks in its own module."""

from . import dq_hooks, national_hooks  # noqa: F401
