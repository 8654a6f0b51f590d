import os

from django.urls import include, path

from .views import baseline_result

urlpatterns = [
    path("robokassa/", include("wagtail_robokassa.urls")),
    path("baseline/result/", baseline_result),
]
if os.environ.get("BENCH_RECEIVER"):
    from wagtail_robokassa.signals import result_received

    def _shop_receiver(sender, **kwargs):
        """A receiver as a shop would have one: the delivery then runs in a transaction."""

    result_received.connect(_shop_receiver, weak=False)

if os.environ.get("BENCH_LEGACY_APP"):
    from robokassa.views import receive_result

    urlpatterns.append(path("legacy/result/", receive_result))
