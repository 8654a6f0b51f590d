"""The "ROBOKASSA" admin menu: overview, payments, notifications, visits, rejected requests and a
link to the settings panel. Every listing is read-only, filterable, searchable and exportable."""

from __future__ import annotations

from typing import Any

from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import TitleColumn
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup

from ..models import (
    Invoice,
    PaymentLink,
    PaymentVisit,
    Refund,
    RejectedRequest,
    Subscription,
    SuccessNotification,
)
from . import filters, resources
from .columns import NonZeroMoneyColumn, moment_title_column, record_columns
from .connection_check import can_edit_settings, connection_check
from .dashboard import can_view_takings
from .final_receipt import FinalReceiptView, check_final_receipt, send_final_receipt_again
from .holds import ChargeHoldView, ReleaseHoldView, check_hold
from .payment_links import (
    CreatePaymentLinkView,
    DeactivateView,
    PaymentLinkIndexView,
    PaymentLinkInspectView,
)
from .payment_links import check as check_link
from .payment_links import email as email_link
from .permissions import (
    LinkPermissionPolicy,
    ReadOnlyPermissionPolicy,
    register_permission_policy,
)
from .refunding import RefundView, check_refund, settle_refund
from .status_check import check_status
from .subscriptions import SubscriptionInspectView
from .subscriptions import cancel as cancel_subscription
from .subscriptions import charge as charge_subscription
from .views import (
    ExportView,
    OverviewView,
    PaymentIndexView,
    RecordIndexView,
    RecordInspectView,
    refuse,
)


class RecordViewSet(ModelViewSet):
    """A read-only listing of one kind of payment record, with inspect and export views."""

    #: The listing; searches digits as an InvId and other text in ``text_search_fields``.
    index_view_class = RecordIndexView
    #: Every stored field, and links to the related records the user may view.
    inspect_view_class = RecordInspectView
    inspect_view_enabled = True
    copy_view_enabled = False
    #: Rows per page of the listing.
    list_per_page = 50
    #: Turns the search box on; ``RecordIndexView`` decides what matches.
    search_fields = ["pk"]
    #: The field that holds the InvId (``pk`` for payments).
    inv_id_field = "inv_id"
    #: Text fields searched (``icontains``) when the query is not an InvId.
    text_search_fields: tuple[str, ...] = ()
    #: The django-import-export ``ModelResource`` that shapes the exports.
    resource_class: Any = None

    if register_permission_policy is None:  # Wagtail 7.4 asks the viewset

        @cached_property
        def permission_policy(self) -> ReadOnlyPermissionPolicy:
            return ReadOnlyPermissionPolicy(self.model)

    def get_index_view_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_index_view_kwargs(
            inv_id_field=self.inv_id_field,
            text_search_fields=self.text_search_fields,
            export_url_name=self.get_url_name("export"),
            **kwargs,
        )

    @property
    def export_view(self) -> Any:
        return self.construct_view(
            ExportView, **self.get_index_view_kwargs(), resource_class=self.resource_class
        )

    @property
    def add_view(self) -> Any:
        return refuse

    @property
    def edit_view(self) -> Any:
        return refuse

    @property
    def delete_view(self) -> Any:
        return refuse

    def get_urlpatterns(self) -> list:
        return [
            *super().get_urlpatterns(),
            path("export/<str:file_format>/", self.export_view, name="export"),
        ]


class PaymentViewSet(RecordViewSet):
    model = Invoice
    name = "robokassa_payments"
    icon = "form"
    menu_label = _("Payments")
    list_display = [
        "id",
        *record_columns(
            Invoice, "amount", "status", "is_test", "description", "email", "site", "created_at"
        ),
        NonZeroMoneyColumn("refunded", label=_("Refunded"), sort_key="refunded"),
    ]
    filterset_class = filters.InvoiceFilterSet
    index_view_class = PaymentIndexView
    inv_id_field = "pk"
    text_search_fields = ("email", "description", "reference")
    resource_class = resources.InvoiceResource

    def get_urlpatterns(self) -> list:
        return [
            *super().get_urlpatterns(),
            path("check/<int:pk>/", check_status, name="check_status"),
            path("refund/<int:pk>/", RefundView.as_view(), name="refund"),
            path("refund-state/<int:pk>/", check_refund, name="check_refund"),
            path("refund-settle/<int:pk>/", settle_refund, name="settle_refund"),
            path("charge-hold/<int:pk>/", ChargeHoldView.as_view(), name="charge_hold"),
            path("release-hold/<int:pk>/", ReleaseHoldView.as_view(), name="release_hold"),
            path("hold-state/<int:pk>/", check_hold, name="check_hold"),
            path("final-receipt/<int:pk>/", FinalReceiptView.as_view(), name="final_receipt"),
            path("final-receipt-state/<int:pk>/", check_final_receipt, name="check_final_receipt"),
            path(
                "final-receipt-again/<int:pk>/",
                send_final_receipt_again,
                name="send_final_receipt_again",
            ),
        ]


class NotificationViewSet(RecordViewSet):
    model = SuccessNotification
    name = "robokassa_notifications"
    icon = "success"
    menu_label = _("Notifications")
    list_display = [
        "inv_id",
        *record_columns(
            SuccessNotification,
            "out_sum",
            "is_test",
            "payment_method",
            "email",
            "deliveries",
            "created_at",
        ),
    ]
    filterset_class = filters.NotificationFilterSet
    text_search_fields = ("email",)
    resource_class = resources.NotificationResource


class VisitViewSet(RecordViewSet):
    model = PaymentVisit
    name = "robokassa_visits"
    icon = "view"
    menu_label = _("Visits")
    list_display = [
        "inv_id",
        *record_columns(
            PaymentVisit, "kind", "out_sum", "signature_valid", "is_test", "created_at"
        ),
    ]
    filterset_class = filters.VisitFilterSet
    resource_class = resources.VisitResource


class RejectedRequestViewSet(RecordViewSet):
    model = RejectedRequest
    name = "robokassa_rejected"
    icon = "warning"
    menu_label = _("Rejected requests")
    list_display = [
        moment_title_column(RejectedRequest, "created_at", "robokassa_rejected:inspect"),
        *record_columns(RejectedRequest, "endpoint", "reason", "detail", "inv_id", "client_ip"),
    ]
    filterset_class = filters.RejectedRequestFilterSet
    text_search_fields = ("detail",)
    resource_class = resources.RejectedRequestResource


class RefundViewSet(RecordViewSet):
    model = Refund
    name = "robokassa_refunds"
    icon = "arrow-left"
    menu_label = _("Refunds")
    list_display = [
        moment_title_column(Refund, "created_at", "robokassa_refunds:inspect"),
        "invoice",
        *record_columns(Refund, "amount", "state", "requested_by", "message"),
    ]
    filterset_class = filters.RefundFilterSet
    inv_id_field = "invoice_id"
    text_search_fields = ("reason", "request_id")
    resource_class = resources.RefundResource


class PaymentLinkViewSet(RecordViewSet):
    model = PaymentLink
    name = "robokassa_links"
    icon = "link"
    menu_label = _("Payment links")
    list_display = [
        TitleColumn(
            "description",
            label=_("What it is for"),
            sort_key="description",
            get_url=lambda link: reverse("robokassa_links:inspect", args=[link.pk]),
        ),
        *record_columns(
            PaymentLink,
            "amount",
            "state",
            "invoice_type",
            "customer_name",
            "is_test",
            "expires_at",
            "created_at",
        ),
    ]
    filterset_class = filters.PaymentLinkFilterSet
    index_view_class = PaymentLinkIndexView
    inspect_view_class = PaymentLinkInspectView
    inspect_view_fields = [
        "description",
        "amount",
        "state",
        "invoice_type",
        "is_test",
        "customer_name",
        "customer_email",
        "customer_phone",
        "comment",
        "culture",
        "expires_at",
        "inv_id",
        "site",
        "receipt",
        "created_by",
        "created_at",
        "paid_at",
        "closed_at",
        "last_checked_at",
        "message",
        "robokassa_id",
        "encoded_id",
    ]
    text_search_fields = (
        "description",
        "customer_name",
        "customer_email",
        "customer_phone",
        "comment",
    )
    resource_class = resources.PaymentLinkResource

    if register_permission_policy is None:  # Wagtail 7.4 asks the viewset

        @cached_property
        def permission_policy(self) -> ReadOnlyPermissionPolicy:
            return LinkPermissionPolicy(self.model)

    @property
    def add_view(self) -> Any:
        return CreatePaymentLinkView.as_view()

    def get_urlpatterns(self) -> list:
        return [
            *super().get_urlpatterns(),
            path("deactivate/<int:pk>/", DeactivateView.as_view(), name="deactivate"),
            path("check/<int:pk>/", check_link, name="check"),
            path("email/<int:pk>/", email_link, name="email"),
        ]


class SubscriptionViewSet(RecordViewSet):
    model = Subscription
    name = "robokassa_subscriptions"
    icon = "rotate"
    menu_label = _("Subscriptions")
    list_display = [
        TitleColumn(
            "description",
            label=_("What it is for"),
            sort_key="description",
            get_url=lambda row: reverse("robokassa_subscriptions:inspect", args=[row.pk]),
        ),
        *record_columns(
            Subscription,
            "amount",
            "state",
            "email",
            "next_charge_at",
            "created_at",
        ),
    ]
    filterset_class = filters.SubscriptionFilterSet
    inspect_view_class = SubscriptionInspectView
    inspect_view_fields = [
        "description",
        "amount",
        "first_amount",
        "period",
        "period_days",
        "trial_days",
        "max_payments",
        "state",
        "is_test",
        "email",
        "parent_invoice",
        "payments_made",
        "started_at",
        "paid_until",
        "next_charge_at",
        "cancelled_at",
        "cancel_reason",
        "cancelled_by",
        "ended_at",
        "site",
        "page",
        "reference",
        "created_at",
    ]
    inv_id_field = "parent_invoice_id"
    text_search_fields = ("email", "description", "reference")
    resource_class = resources.SubscriptionResource

    def get_urlpatterns(self) -> list:
        return [
            *super().get_urlpatterns(),
            path("cancel/<int:pk>/", cancel_subscription, name="cancel"),
            path("charge/<int:pk>/", charge_subscription, name="charge"),
        ]


class _ShownTo(MenuItem):
    """A menu item shown only to users ``check(user)`` lets in."""

    check = staticmethod(lambda user: True)

    def is_shown(self, request: Any) -> bool:
        return self.check(request.user)


class OverviewViewSet(ViewSet):
    name = "robokassa_overview"
    icon = "key"
    menu_label = _("Overview")
    menu_item_class = type(
        "OverviewMenuItem", (_ShownTo,), {"check": staticmethod(can_view_takings)}
    )

    def get_urlpatterns(self) -> list:
        return [
            path("", OverviewView.as_view(), name="index"),
            path("results/", OverviewView.as_view(results_only=True), name="index_results"),
        ]


class SettingsLinkViewSet(ViewSet):
    """A menu entry that opens Settings → ROBOKASSA for the current Site."""

    name = "robokassa_settings_link"
    icon = "cog"
    menu_label = _("Settings")
    menu_item_class = type(
        "SettingsMenuItem", (_ShownTo,), {"check": staticmethod(can_edit_settings)}
    )

    @cached_property
    def menu_url(self) -> str:
        return reverse("wagtailsettings:edit", args=["wagtail_robokassa", "robokassasettings"])

    def get_urlpatterns(self) -> list:
        return [
            path("test-connection/<int:site_id>/", connection_check, name="test_connection"),
        ]


class RobokassaViewSetGroup(ModelViewSetGroup):
    menu_label = "ROBOKASSA"
    menu_icon = "key"
    menu_order = 300
    items = (
        OverviewViewSet,
        PaymentViewSet,
        PaymentLinkViewSet,
        SubscriptionViewSet,
        NotificationViewSet,
        VisitViewSet,
        RejectedRequestViewSet,
        RefundViewSet,
        SettingsLinkViewSet,
    )
