"""Tasks are handed to the backend only once what they work on is committed."""

import pytest
from django.db import transaction
from django.test import override_settings

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def enqueued():
    from django_tasks_db.models import DBTaskResult

    return list(DBTaskResult.objects.values_list("task_path", flat=True))


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE_TASKS)
def test_a_task_is_enqueued_when_the_transaction_commits():
    from wagtail_robokassa.tasks import enqueue_on_commit, send_final_receipt

    with transaction.atomic():
        enqueue_on_commit(send_final_receipt, 42)
        assert enqueued() == []
    assert enqueued() == ["wagtail_robokassa.tasks.send_final_receipt"]


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE_TASKS)
def test_a_rolled_back_transaction_enqueues_nothing():
    from wagtail_robokassa.tasks import enqueue_on_commit, follow_refunds

    def the_shops_code():
        with transaction.atomic():
            enqueue_on_commit(follow_refunds)
            raise RuntimeError("the shop's own code failed")

    with pytest.raises(RuntimeError):
        the_shops_code()
    assert enqueued() == []


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE_TASKS)
def test_outside_a_transaction_it_is_enqueued_at_once():
    from wagtail_robokassa.tasks import enqueue_on_commit, follow_refunds

    enqueue_on_commit(follow_refunds, limit=5)
    assert enqueued() == ["wagtail_robokassa.tasks.follow_refunds"]


@pytest.mark.django_db(transaction=True)
def test_a_backend_that_fails_to_take_it_does_not_fail_the_commit(caplog, monkeypatch):
    from wagtail_robokassa.models import Invoice
    from wagtail_robokassa.tasks import enqueue_on_commit, follow_refunds

    asked = []

    def backend_down(task, *args, **kwargs):
        asked.append(task.name)
        raise ConnectionError("the task backend is down")

    with transaction.atomic():
        Invoice.objects.create(merchant_login="demo", amount="10.00")
        monkeypatch.setattr(type(follow_refunds), "enqueue", backend_down)
        enqueue_on_commit(follow_refunds)
        assert asked == []
    assert asked == ["follow_refunds"]
    assert Invoice.objects.count() == 1
    assert "Error calling" in caplog.text


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE_TASKS)
def test_records_enqueue_no_reference_index_task_of_wagtails():
    """Payments and their records are not content: saving one asks Wagtail's reference index
    (a task per save) nothing. With Django 6, django-tasks-db cannot even store that task."""
    from wagtail.models import ReferenceIndex

    from wagtail_robokassa import models

    records = [
        models.Invoice,
        models.SuccessNotification,
        models.PaymentVisit,
        models.RejectedRequest,
        models.RejectionOverflow,
        models.Refund,
        models.SecondReceipt,
    ]
    assert [m.__name__ for m in records if ReferenceIndex.model_is_indexable(m)] == []
    models.Invoice.objects.create(merchant_login="demo", amount="10.00")
    assert enqueued() == []
