"""argon2id with the cheapest parameters, for the test suite only.

Production hashes with Django's Argon2PasswordHasher (100 MiB, two passes: about 0.4 s of CPU
per hash here, which is the point). The suite creates and signs in hundreds of people, and at
that cost password hashing alone was minutes of every run. The stored format stays
`argon2$argon2id$...`, so every sign-in path runs exactly as in production, only cheaper.
Tests about the hashing cost itself (the timing test in tests/accounts/test_throttle.py) put
the production hasher back for their own duration.
"""
from django.contrib.auth.hashers import Argon2PasswordHasher


class CheapArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 64  # KiB
    parallelism = 1
