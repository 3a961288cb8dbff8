"""Background jobs stored in the database, claimed by any hub process (see docs/jobs.md)."""
