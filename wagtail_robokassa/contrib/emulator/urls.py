from django.urls import path

from . import views

urlpatterns = [
    path("Merchant/Index.aspx", views.index, name="robokassa_emulator_index"),
    path("Merchant/Pay/<int:pk>/", views.pay, name="robokassa_emulator_pay"),
    path("Merchant/Decline/<int:pk>/", views.decline, name="robokassa_emulator_decline"),
    path(
        "Merchant/WebService/Service.asmx/OpStateExt",
        views.opstate,
        name="robokassa_emulator_opstate",
    ),
]
