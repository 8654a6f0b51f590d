"""ROBOKASSA → Subscriptions: a subscription's page with its charges and their attempts, and
"Cancel" and "Charge now" (each with its own permission, POST with CSRF, 403 without it)."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..models import CancelReason, Subscription
from ..services.config import get_config
from ..services.periods import period_phrase
from ..services.renewals import charge_now
from ..services.subscriptions import SubscriptionRefusedHere, cancel_subscription
from . import display
from .payment_links import forbidding
from .permissions import policy_for
from .site_scope import record_for
from .views import RecordInspectView

logger = logging.getLogger("wagtail_robokassa.subscriptions")

CANCEL_ACTION, CHARGE_ACTION = "cancel", "charge"


def can_cancel(user: Any) -> bool:
    return policy_for(Subscription).user_has_permission(user, CANCEL_ACTION)


def can_charge(user: Any) -> bool:
    return policy_for(Subscription).user_has_permission(user, CHARGE_ACTION)


class SubscriptionInspectView(RecordInspectView):
    template_name = "wagtail_robokassa/admin/subscription.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        subscription: Subscription = self.object
        user = self.request.user
        charges = subscription.charges.prefetch_related("attempt_records").order_by("-period")
        context.update(
            subscription=subscription,
            currency=get_config(subscription.site).currency_symbol,
            every=period_phrase(subscription.period, subscription.period_days),
            charges=charges[:60],
            may_cancel=can_cancel(user) and subscription.is_cancellable,
            # Only what is due: a renewal is never charged ahead of its date.
            may_charge=can_charge(user)
            and subscription.is_chargeable
            and subscription.next_charge_at is not None
            and subscription.next_charge_at <= timezone.now(),
        )
        return context

    def get_amount_display_value(self) -> Any:
        return display.amount(self.object.amount, get_config(self.object.site).currency_symbol)


def _subscription_for(request: HttpRequest, pk: int, allowed: Any) -> Subscription:
    subscription: Subscription = record_for(request, Subscription, pk, allowed)
    return subscription


@forbidding
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = _subscription_for(request, pk, can_cancel)
    try:
        subscription = cancel_subscription(
            subscription, reason=CancelReason.STAFF, user=request.user
        )
    except SubscriptionRefusedHere as refusal:
        messages.error(request, str(refusal))
    else:
        if subscription.state == "cancelled":
            messages.success(request, _("The subscription is cancelled: it is not charged again."))
        else:
            messages.warning(
                request,
                _(
                    "A renewal is being sent right now: the subscription is cancelled as soon "
                    "as ROBOKASSA answers, and nothing is sent after it."
                ),
            )
    return redirect("robokassa_subscriptions:inspect", pk)


@forbidding
@require_POST
def charge(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = _subscription_for(request, pk, can_charge)
    try:
        outcome = charge_now(subscription, user=request.user)
    except SubscriptionRefusedHere as refusal:
        messages.error(request, str(refusal))
        return redirect("robokassa_subscriptions:inspect", pk)
    told = {
        "accepted": (messages.success, _("ROBOKASSA accepted the renewal: it is paid when "
                                         "its notification arrives.")),
        "refused": (messages.error, _("ROBOKASSA refused the renewal: it is tried again "
                                      "later.")),
        "cancelled": (messages.error, _("ROBOKASSA refused the last attempt: the "
                                        "subscription is cancelled.")),
        "not_sent": (messages.error, _("ROBOKASSA could not be reached: nothing was sent.")),
        "uncertain": (messages.warning, _("ROBOKASSA's answer was lost: the renewal is "
                                          "checked before anything else is sent.")),
        "waiting": (messages.info, _("A renewal is already waiting for ROBOKASSA.")),
    }  # fmt: skip
    say, text = told.get(outcome, (messages.info, _("Nothing was sent: it is being sent now.")))
    say(request, text)
    return redirect("robokassa_subscriptions:inspect", pk)
