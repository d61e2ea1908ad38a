"""Admin hooks for the national uptake view (helper B)."""
