"""A second worker process for ``test_two_processes``: it serves Result URL deliveries, given one
JSON object of parameters per line on stdin, and answers ``status body`` per line on stdout.

Run with ``DATABASE_URL`` naming the test database; ROBOKASSA_* Django settings are dropped, so
that the shop comes from Settings → ROBOKASSA as in production.
"""

import json
import os
import sys

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    django.setup()
    from django.conf import settings
    from django.core.signals import setting_changed
    from django.test import Client

    for name in [n for n in dir(settings) if n.startswith("ROBOKASSA_") and n not in KEEP]:
        delattr(settings, name)
        setting_changed.send(sender=None, setting=name, value=None, enter=True)
    client = Client()
    for line in sys.stdin:
        answer = client.post("/robokassa/result/", json.loads(line))
        print(answer.status_code, answer.content.decode()[:60].replace("\n", " "), flush=True)


KEEP = {"ROBOKASSA_EMULATOR_ENABLED", "ROBOKASSA_WRITE_PATH"}

if __name__ == "__main__":
    main()
