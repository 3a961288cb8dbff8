"""Notifications (placeholder: replaced by the real domain when branches merge)."""
