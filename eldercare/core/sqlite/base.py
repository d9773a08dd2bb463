"""Django's SQLite back end, for the embedded default, with one probe answered without the database.

Django asks SQLite whether it has JSON by running `SELECT JSON(…)` inside a transaction. With the
settings' `transaction_mode = IMMEDIATE` that transaction first waits for the write lock, so while
another process (the worker, the device simulator) holds it for longer than the busy timeout the probe
fails, Django concludes there is no JSON support, and every JSONField fails the system checks: the
server does not start. JSON has been part of SQLite since 3.38 (Python's own sqlite3 module says which
version it links), so the answer is known without asking the database.
"""

from __future__ import annotations

import sqlite3

from django.db.backends.sqlite3 import base, features

JSON_BUILT_IN = (3, 38, 0)  # https://sqlite.org/json1.html: "JSON functions are built in since 3.38.0"


class DatabaseFeatures(features.DatabaseFeatures):
    if sqlite3.sqlite_version_info >= JSON_BUILT_IN:
        supports_json_field = True
        can_introspect_json_field = True


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
