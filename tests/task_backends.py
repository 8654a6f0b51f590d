"""The task tests' real backends: django-tasks-db's database backend and RQ on Redis
(django-tasks-rq), each with its own worker (fixture ``task_backend``, shared through
``tests/conftest.py``)."""

from __future__ import annotations

import os
import socket
import urllib.parse
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings

REDIS = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
OURS = "wagtail_robokassa.tasks."


def redis_reachable(url: str = REDIS) -> bool:
    parts = urllib.parse.urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port or 6379), timeout=2).close()
    except OSError:
        return False
    return True


def need_redis() -> None:
    """Skip without Redis, unless the environment names one (CI does): then it must answer."""
    if redis_reachable():
        return
    message = f"needs Redis at {REDIS}"
    if "REDIS_URL" in os.environ:
        pytest.fail(message + " (REDIS_URL names it)")
    pytest.skip(message)


class DatabaseBackend:
    name = "database"
    settings: dict[str, Any] = {
        "TASKS": {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    }

    def work(self) -> None:
        from django_tasks_db.models import DBTaskResult

        # Wagtail's own tasks (its reference index) are not these tests' business.
        DBTaskResult.objects.exclude(task_path__startswith=OURS).delete()
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    def result_ids(self) -> list[str]:
        from django_tasks_db.models import DBTaskResult

        ours = DBTaskResult.objects.filter(task_path__startswith=OURS)
        return [str(pk) for pk in ours.values_list("pk", flat=True)]


class RQBackend:
    name = "rq"
    settings: dict[str, Any] = {
        "TASKS": {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}},
        "RQ_QUEUES": {"default": {"URL": REDIS}},
    }

    def __init__(self) -> None:
        need_redis()
        with override_settings(**self.settings):
            queue = self._queue()
            queue.empty()
            for registry in (queue.finished_job_registry, queue.failed_job_registry):
                for job_id in registry.get_job_ids():
                    registry.remove(job_id, delete_job=True)

    def _queue(self) -> Any:
        import django_rq

        return django_rq.get_queue("default")

    def work(self) -> None:
        import django_rq
        from rq.worker import SimpleWorker

        # In this process, on the test's database connection: no fork.
        worker = django_rq.get_worker(
            "default", worker_class=SimpleWorker, job_class="django_tasks_rq.backend.Job"
        )
        worker.work(burst=True, with_scheduler=False)

    def result_ids(self) -> list[str]:
        from rq.job import Job

        queue = self._queue()
        ids = [
            *queue.finished_job_registry.get_job_ids(),
            *queue.failed_job_registry.get_job_ids(),
        ]
        jobs = Job.fetch_many(ids, connection=queue.connection)
        return [job.id for job in jobs if job and job.func_name.startswith(OURS)]


class RunningBackend:
    """A backend for the test: inside ``configured()``, enqueue, ``work()``, then read
    ``results()``. Outside, the test's own writes enqueue Wagtail's tasks on the default
    backend: with Django 6, django-tasks-db cannot store Wagtail 8's (they are the
    django-tasks package's, not ``django.tasks``')."""

    def __init__(self, backend: DatabaseBackend | RQBackend) -> None:
        self.backend = backend
        self.name = backend.name

    def configured(self) -> Any:
        return override_settings(**self.backend.settings)

    def work(self) -> None:
        self.backend.work()

    def results(self) -> dict[str, Any]:
        """Every finished task's result, by the task's function name (the plugin's tasks only:
        Wagtail enqueues its own too)."""
        from wagtail_robokassa.tasks import task_backends

        backend = task_backends["default"]
        found = [backend.get_result(result_id) for result_id in self.backend.result_ids()]
        return {result.task.name: result for result in found}


@pytest.fixture(params=[DatabaseBackend, RQBackend], ids=["database", "rq"])
def task_backend(request):
    """Each real backend in turn."""
    return RunningBackend(request.param())
