from django.urls import path

from . import fiscal, holds, links, recurring, refunds, views

urlpatterns = [
    path("Merchant/Index.aspx", views.index, name="robokassa_emulator_index"),
    path("Merchant/Pay/<int:pk>/", views.pay, name="robokassa_emulator_pay"),
    path(
        "Merchant/PayWithoutNotifying/<int:pk>/",
        views.pay_without_notifying,
        name="robokassa_emulator_pay_without_notifying",
    ),
    path("Merchant/Decline/<int:pk>/", views.decline, name="robokassa_emulator_decline"),
    path("status-interface/", views.status_switch, name="robokassa_emulator_status_switch"),
    path("RefundService/Refund/Create", refunds.create, name="robokassa_emulator_refund_create"),
    path(
        "RefundService/Refund/GetState", refunds.get_state, name="robokassa_emulator_refund_state"
    ),
    path("RoboFiscal/Receipt/Attach", fiscal.attach, name="robokassa_emulator_receipt_attach"),
    path("RoboFiscal/Receipt/Status", fiscal.status, name="robokassa_emulator_receipt_status"),
    path(
        "Merchant/WebService/Service.asmx/OpStateExt",
        views.opstate,
        name="robokassa_emulator_opstate",
    ),
    path(
        "InvoiceServiceWebApi/api/CreateInvoice",
        links.create,
        name="robokassa_emulator_invoice_create",
    ),
    path(
        "InvoiceServiceWebApi/api/DeactivateInvoice",
        links.deactivate,
        name="robokassa_emulator_invoice_deactivate",
    ),
    path(
        "InvoiceServiceWebApi/api/GetInvoiceInformationList",
        links.information_list,
        name="robokassa_emulator_invoice_list",
    ),
    path(
        "Merchant/Invoice/<str:encoded_id>", links.invoice_page, name="robokassa_emulator_invoice"
    ),
    path("payment-links/<int:pk>/expire/", links.expire, name="robokassa_emulator_link_expire"),
    path("Merchant/Recurring", recurring.recurring, name="robokassa_emulator_recurring"),
    path("time-passes/", recurring.time_passes, name="robokassa_emulator_time_passes"),
    path("Merchant/Payment/Confirm", holds.confirm, name="robokassa_emulator_hold_confirm"),
    path("Merchant/Payment/Cancel", holds.cancel, name="robokassa_emulator_hold_cancel"),
    path("holds/<int:pk>/expire/", holds.expire, name="robokassa_emulator_hold_expire"),
    path("holds/days-pass/", holds.days_pass, name="robokassa_emulator_hold_days_pass"),
]
