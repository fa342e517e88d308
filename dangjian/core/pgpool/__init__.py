"""Django's PostgreSQL backend, with a pool that purges every broken connection at once.

Set as ``ENGINE`` by the settings when connections are pooled (see ``base``).
"""
