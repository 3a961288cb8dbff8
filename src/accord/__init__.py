"""Accord: the Cybersecurity Tech Accord as a self-hostable hub."""

__version__ = "0.1.0"
