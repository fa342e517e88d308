"""A test-only app: a ticket on the core case engine (see tests/settings.py)."""
