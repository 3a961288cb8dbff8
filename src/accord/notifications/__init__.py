"""Notifications: email over SMTP and signed webhooks, each delivery a background job."""
