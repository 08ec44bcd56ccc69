"""Pytest plugin (loaded with `-p quietroom.testenv` from pyproject.toml): each test run gets
its own data folder — SQLite test database, blobs, generated secrets and master key — so tests
never touch a real installation (or the demo's folder), parallel runs never share a database,
and tests can scan the folder for plaintext.

It must be a plugin rather than a conftest.py: pytest-django configures Django, and so reads
the settings, before conftest files are imported.
"""
import os
import tempfile

os.environ.setdefault("QUIETROOM_MODE", "test")
os.environ.setdefault("QUIETROOM_DATA_DIR", tempfile.mkdtemp(prefix="quietroom-test-"))
os.environ.pop("REDIS_URL", None)  # jobs in-process unless a test opts in
