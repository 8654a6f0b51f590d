"""``path("robokassa/", include("wagtail_robokassa.urls"))``: the three URLs of the cabinet."""

from django.urls import path

from . import pay, subscription_views, views

urlpatterns = [
    path("pay/", pay.pay, name="robokassa_pay"),
    path("result/", views.result, name="robokassa_result"),
    path("result2/", views.result2, name="robokassa_result2"),
    path("success/", views.success, name="robokassa_success"),
    path("fail/", views.fail, name="robokassa_fail"),
    path(
        "subscription/<str:token>/",
        subscription_views.subscription_page,
        name="robokassa_subscription",
    ),
]
