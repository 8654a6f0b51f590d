import os

from django.db import connection
from django.urls import include, path

from .views import baseline_result

SHOP = os.environ.get("BENCH_SCENARIO") == "shop"

urlpatterns = [
    path("robokassa/", include("wagtail_robokassa.urls")),
    path("baseline/result/", baseline_result),
]


def mark_order_paid(sender, InvId, **kwargs):
    """A shop's receiver: its own order row becomes paid (the same for every view)."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE bench_shop_order SET paid = true WHERE id = %s", [InvId])


if SHOP:
    from wagtail_robokassa.signals import result_received

    result_received.connect(mark_order_paid, weak=False)

if os.environ.get("BENCH_LEGACY_APP"):
    from robokassa.views import receive_result

    urlpatterns.append(path("legacy/result/", receive_result))
    if SHOP:
        from robokassa.signals import result_received as legacy_result_received

        legacy_result_received.connect(mark_order_paid, weak=False)
