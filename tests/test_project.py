"""The test project itself: the database switch and Django's system checks."""

import json
import os
import subprocess
import sys
from pathlib import Path

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


SANDBOX = Path(__file__).resolve().parents[1] / "sandbox"
SEEDED = (
    "from django.contrib.auth import get_user_model; from wagtail.models import Site; "
    "import json; site = Site.objects.get(is_default_site=True); "
    "user = get_user_model().objects.get(username='admin'); "
    "print(json.dumps([site.hostname, site.port, user.first_name, user.last_name]))"
)


def sandbox(tmp_path, *command):
    """Run ``manage.py`` in the sandbox on a SQLite file of this test; its standard output."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "demo.settings",
    }
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *command],
        cwd=SANDBOX,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_the_sandbox_migrates_and_seeds_a_new_database(tmp_path):
    """What ``make demo`` does first, on an empty SQLite file, with its checks (``migrate`` runs
    the database checks before any table exists); then every admin page its menus reach."""
    for command in (["migrate", "--noinput"], ["seed_sandbox"], ["check", "--database", "default"]):
        sandbox(tmp_path, *command)
    seeded = json.loads(sandbox(tmp_path, "shell", "-c", SEEDED).strip().splitlines()[-1])
    assert seeded == ["127.0.0.1", 8000, "Demo", "Admin"]  # where `make demo` serves; named
    walk = (Path(__file__).parent / "sandbox" / "walk_admin_menus.py").read_text()
    statuses = json.loads(sandbox(tmp_path, "shell", "-c", walk).strip().splitlines()[-1])
    reached = [
        "/admin/pages/",
        "/admin/sites/",
        "/admin/robokassa_payments/",
        "/admin/robokassa_overview/",
        "/admin/settings/wagtail_robokassa/robokassasettings/",
    ]
    for url in reached:
        assert url in statuses
    assert {url: status for url, status in statuses.items() if status != 200} == {}
