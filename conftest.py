"""Test-run environment, set before Django's settings are imported.

Each run gets its own data folder (SQLite file, blobs, generated secrets and master key),
so tests never touch a real installation and can scan the folder for plaintext.
"""
import os
import tempfile

os.environ.setdefault("QUIETROOM_MODE", "test")
os.environ.setdefault("QUIETROOM_DATA_DIR", tempfile.mkdtemp(prefix="quietroom-test-"))
os.environ.pop("REDIS_URL", None)  # jobs in-process unless a test opts in
