# The view from django-robokassa's README, with only the import path changed.
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from tests.testapp.models import Order
from wagtail_robokassa.forms import RobokassaForm


@login_required
def pay_with_robokassa(request, order_id):
    order = get_object_or_404(Order, pk=order_id)

    form = RobokassaForm(
        initial={
            "OutSum": order.total,
            "InvId": order.id,
            "Desc": order.name,
            "Email": request.user.email,
            # 'IncCurrLabel': '',
            # 'Culture': 'ru'
        }
    )

    return render(request, "pay_with_robokassa.html", {"form": form})
