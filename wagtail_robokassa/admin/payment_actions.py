"""What the pages acting on one payment share (refund, final receipt): their own permission,
the payment from the URL, why the action cannot be done, and breadcrumbs back to the payment."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.defaults import permission_denied
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from ..conf import MerchantConfig
from ..models import Invoice
from ..protocol import MAX_INV_ID
from ..services.reconciliation import invoice_config
from .site_scope import may_work_on


class PaymentActionMixin(WagtailAdminTemplateMixin):
    """Sets ``invoice`` and ``problem`` (``""`` when the action can be done) before the view
    runs; refuses users without the action's permission."""

    invoice: Invoice
    problem: str

    def may_act(self, user: Any) -> bool:
        raise NotImplementedError

    def problem_with(self, invoice: Invoice, config: MerchantConfig) -> str:
        raise NotImplementedError

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            return self._dispatch(request, *args, **kwargs)
        except PermissionDenied as error:  # 403, not Wagtail's redirect to the dashboard
            return permission_denied(request, error)

    def _dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not self.may_act(request.user):
            raise PermissionDenied
        pk = kwargs["pk"]
        if not 1 <= pk <= MAX_INV_ID:  # beyond the column's range: no such payment
            raise Http404
        self.invoice = get_object_or_404(Invoice, pk=pk)
        if not may_work_on(request.user, self.invoice):
            raise PermissionDenied
        self.problem = self.problem_with(self.invoice, invoice_config(self.invoice))
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        inspect = reverse("robokassa_payments:inspect", args=[self.invoice.pk])
        return [
            *self.breadcrumbs_items,
            {"url": reverse("robokassa_payments:index"), "label": _("Payments")},
            {"url": inspect, "label": str(self.invoice)},
            {"url": "", "label": self.get_page_title()},
        ]
