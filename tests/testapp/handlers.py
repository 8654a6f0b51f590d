# The signal handler from django-robokassa's README, with only the import path changed.
from tests.testapp.models import Order


def payment_received(sender, **kwargs):
    order = Order.objects.get(id=kwargs["InvId"])
    order.status = "paid"
    order.paid_sum = kwargs["OutSum"]
    order.extra_param = kwargs["extra"]["my_param"]
    order.save()
