"""The buyer's page of a subscription, reached by the signed link in every e-mail: what it
costs and when, and "Cancel" (a POST with CSRF: a mail scanner that opens the link cancels
nothing). No account is needed; a link that is not signed by this site is refused."""

from __future__ import annotations

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from .models import CancelReason, Subscription
from .services.config import get_config
from .services.periods import period_phrase
from .services.subscription_emails import read_subscription_token
from .services.subscriptions import SubscriptionRefusedHere, cancel_subscription
from .views import render_page

TEMPLATE = "wagtail_robokassa/subscription.html"


@never_cache
@require_http_methods(["GET", "POST"])
def subscription_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        code = read_subscription_token(token)
    except signing.BadSignature:
        return _refused(request, _("This subscription link is not valid."), 400)
    subscription = Subscription.objects.filter(code=code).select_related("site").first()
    if subscription is None:
        return _refused(request, _("This subscription no longer exists."), 404)
    done, status = False, 200
    if request.method == "POST":
        if request.POST.get("action") != "cancel":
            return _refused(request, _("Unknown request."), 400)
        try:
            if not subscription.is_cancellable:
                raise SubscriptionRefusedHere(str(_("This subscription is already over.")))
            subscription = cancel_subscription(subscription, reason=CancelReason.BUYER)
            done = True
        except SubscriptionRefusedHere:  # cancelled, or ended, before: nothing is done again
            subscription.refresh_from_db()
            status = 409
    context = {
        "subscription": subscription,
        "currency": get_config(subscription.site).currency_symbol,
        "every": period_phrase(subscription.period, subscription.period_days),
        "cancelled_now": done,
        "already_over": status == 409,
        "cancellable": subscription.is_cancellable,
    }
    return render_page(request, TEMPLATE, context, status=status)


def _refused(request: HttpRequest, message: object, status: int) -> HttpResponse:
    return render_page(
        request, "wagtail_robokassa/pay_error.html", {"message": message}, status=status
    )
