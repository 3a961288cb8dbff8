"""Identity: organizations, users, roles, sessions, API tokens, the policy and the audit log."""
