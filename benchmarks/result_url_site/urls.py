import os

from django.urls import include, path

from .views import baseline_result

urlpatterns = [
    path("robokassa/", include("wagtail_robokassa.urls")),
    path("baseline/result/", baseline_result),
]
if os.environ.get("BENCH_LEGACY_APP"):
    from robokassa.views import receive_result

    urlpatterns.append(path("legacy/result/", receive_result))
