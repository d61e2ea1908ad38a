"""Admin hooks for data-quality imports and the access log (helper C)."""
