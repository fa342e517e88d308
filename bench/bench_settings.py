"""Settings for the load bench (bench/load.py): the real settings, production-like.

DEBUG off (no query log, no debug pages), and the login rate limits off: at 20 clients
from one address they would (correctly) answer 429 within a second, and the bench
measures throughput, not the limiter. Nothing else changes.
"""

from dangjian.settings import *  # noqa: F403

DEBUG = False
RATE_LIMITS_ENABLED = False
SESSION_COOKIE_SECURE = False  # plain HTTP on loopback
CSRF_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
