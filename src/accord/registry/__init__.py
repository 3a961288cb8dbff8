"""Registry: the accord's text, applications to join, signatures, profiles, security.txt checks."""
