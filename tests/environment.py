"""Loaded as a pytest plugin (see pyproject) before Django is configured."""

import os

# The suite runs with production settings (DEBUG off), which need a secret key.
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-0123456789abcdefghijklmnop")
# Tests speak plain HTTP to the test client and to the live server, whose
# SecurityMiddleware is built once per session.
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
