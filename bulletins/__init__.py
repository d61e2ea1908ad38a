"""Bulletins, distribution lists, subscribers and the email pipeline."""
