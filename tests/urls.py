from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls

from tests.testapp.views import pay_with_robokassa

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("robokassa/", include("wagtail_robokassa.urls")),
    path("emulator/", include("wagtail_robokassa.contrib.emulator.urls")),
    path("pay/<int:order_id>/", pay_with_robokassa, name="pay_with_robokassa"),
    path("", include(wagtail_urls)),
]
