"""Admin hooks: to be built (issue 6)."""
