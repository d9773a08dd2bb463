"""Settings are read from the environment; production refuses to start insecure."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PROBE = "import django; django.setup(); from django.conf import settings as s; print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.DATABASES['default']['ENGINE'])"


def run(env: dict, tmp_path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ELDERCARE_") and k != "DATABASE_URL"}
    clean |= {"DJANGO_SETTINGS_MODULE": "eldercare.settings", "ELDERCARE_VAR_DIR": str(tmp_path)} | env
    return subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60)


def test_production_refuses_to_start_without_its_secrets(tmp_path):
    result = run({}, tmp_path)
    assert result.returncode != 0
    assert "ELDERCARE_SECRET_KEY" in result.stderr


def test_production_is_secure_by_default(tmp_path):
    secrets = {
        "ELDERCARE_SECRET_KEY": "x" * 50,
        "ELDERCARE_FIELD_KEYS": "Qm9WbGk1b0ZfN3dXcGVqU3RYb2x5d2J4aVd6c3Z0a0U=",
        "ELDERCARE_ID_HASH_KEY": "k",
    }
    result = run(secrets | {"DATABASE_URL": "postgres://u@db:5432/eldercare"}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True", "31536000", "django.db.backends.postgresql"]


def test_development_generates_and_keeps_its_secrets(tmp_path):
    first = run({"ELDERCARE_DEBUG": "1"}, tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.split() == ["True", "False", "False", "0", "eldercare.core.sqlite"]
    kept = (tmp_path / "eldercare_secret_key.secret").read_text()
    run({"ELDERCARE_DEBUG": "1"}, tmp_path)
    assert (tmp_path / "eldercare_secret_key.secret").read_text() == kept


@pytest.mark.parametrize("name,value", [("ELDERCARE_DEBUG", "maybe"), ("ELDERCARE_HSTS_SECONDS", "a year")])
def test_bad_values_are_rejected_by_name(tmp_path, name, value):
    result = run({"ELDERCARE_DEBUG": "1", name: value}, tmp_path)
    assert result.returncode != 0 and name in result.stderr


def test_secret_may_come_from_a_file(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-a-file-" + "y" * 40)
    env = {
        "ELDERCARE_SECRET_KEY_FILE": str(secret_file),
        "ELDERCARE_FIELD_KEYS": "Qm9WbGk1b0ZfN3dXcGVqU3RYb2x5d2J4aVd6c3Z0a0U=",
        "ELDERCARE_ID_HASH_KEY": "k",
    }
    assert run(env, tmp_path).returncode == 0


def test_check_deploy_is_clean_in_production(tmp_path):
    """`manage.py check --deploy` finds nothing to warn about with production's defaults."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ELDERCARE_") and k != "DATABASE_URL"}
    clean |= {
        "ELDERCARE_VAR_DIR": str(tmp_path),
        "ELDERCARE_SECRET_KEY": "k9-" + "x7Qm" * 16,
        "ELDERCARE_FIELD_KEYS": "Qm9WbGk1b0ZfN3dXcGVqU3RYb2x5d2J4aVd6c3Z0a0U=",
        "ELDERCARE_ID_HASH_KEY": "k",
        "ELDERCARE_ALLOWED_HOSTS": "eldercare.example.gov.cn",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
