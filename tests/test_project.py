"""The test project itself: the database switch and Django's system checks."""

import os

import pytest
from django.core.management import call_command
from django.db import connection


def test_database_follows_database_url():
    expected = (
        "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    )
    assert connection.vendor == expected


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_is_reachable():
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        (version,) = cursor.fetchone()
    assert int(version) >= 130000


@pytest.mark.django_db  # some model checks ask the database what it supports
def test_system_checks_pass():
    call_command("check", fail_level="WARNING")


def test_the_sandbox_migrates_and_seeds_a_new_database(tmp_path):
    """What ``make demo`` does first, on an empty SQLite file, with its checks (``migrate`` runs
    the database checks before any table exists)."""
    import subprocess
    import sys
    from pathlib import Path

    sandbox = Path(__file__).resolve().parents[1] / "sandbox"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "demo.settings",
    }
    for command in (["migrate", "--noinput"], ["seed_sandbox"], ["check", "--database", "default"]):
        result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, "manage.py", *command],
            cwd=sandbox,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-3000:]
