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
