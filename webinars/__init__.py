"""Webinar series and sessions, registration, reminders and recordings."""
