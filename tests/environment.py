"""Loaded as a pytest plugin (see pyproject) before Django is configured."""

import os

# The suite runs with production settings (DEBUG off), which need a secret key.
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-0123456789abcdefghijklmnop")
