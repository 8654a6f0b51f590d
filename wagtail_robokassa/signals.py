"""The signals of django-robokassa, with the same names and arguments.

Every signal gets ``InvId`` (int), ``OutSum`` (Decimal) and ``extra`` (the ``Shp_*`` values by
bare name), plus ``invoice`` (an ``Invoice`` or None) and ``request``.

- ``result_received``: a verified Result URL notification, sent once per payment. The sender is
  the ``SuccessNotification``, also passed as ``notification``. It is sent inside the transaction
  that records the payment: a receiver that raises, or that leaves the transaction unable to
  commit (it caught a database error itself), rolls the delivery back and ROBOKASSA is told to
  retry.
- ``success_page_visited``: a buyer reached the Success page with a valid signature, the first
  time for that payment (sender: the ``SuccessRedirectForm``; ``visit``: the ``PaymentVisit``).
- ``fail_page_visited``: a buyer reached the Fail page (sender: the ``FailRedirectForm``;
  ``visit``).

Refunds (sender: the ``Refund``; ``refund`` and ``invoice``), each sent once, after the change is
committed:

- ``refund_requested``: ROBOKASSA accepted a refund request;
- ``refund_finished``: the money went back;
- ``refund_failed``: it will not (refused, cancelled, or never sent).

The final receipt (sender: the ``SecondReceipt``; ``receipt`` and ``invoice``), each sent once:

- ``final_receipt_sent``: ROBOKASSA took the final receipt;
- ``final_receipt_registered``: the fiscal document has its number.

Payment links (sender: the ``PaymentLink``; ``link``, ``invoice`` and ``notification``, with
django-robokassa's arguments too):

- ``payment_link_paid``: a payment through a link was recorded, once per payment (a reusable
  link's every payment). It is sent inside the Result URL's transaction, after
  ``result_received``: a receiver that raises rolls the delivery back.

Subscriptions (sender: the ``Subscription``; ``subscription``, and ``charge`` where one is
concerned; no django-robokassa arguments):

- ``subscription_started``: the first payment was recorded (also ``invoice``, ``notification``
  and ``request``). Sent inside the Result URL's transaction, like ``payment_link_paid``.
- ``subscription_renewed``: a period's renewal was paid (also ``invoice``, ``notification`` and
  ``request``; inside the Result URL's transaction, or the status check's that found it).
- ``subscription_payment_failed``: a renewal was refused or never paid (``final``: no attempt
  is left, the subscription is cancelled). Sent after the change commits.
- ``subscription_cancelled``: the subscription will not be charged again (``reason``, ``user``).
  Sent after the change commits.

Holds (sender: the ``Invoice``; ``invoice``; no django-robokassa arguments):

- ``payment_held``: a verified ResultUrl2 HOLD (or a status check) put the payment on hold
  (also ``notification``, the ``StateNotification`` or None, and ``request``). Sent inside the
  transaction that records it: a receiver that raises rolls it back and ROBOKASSA retries.
- ``hold_confirmed``: ROBOKASSA accepted the charge of a hold (``settlement``, ``amount``). The
  payment becomes paid when ROBOKASSA's notification arrives (``result_received``). Sent after
  the change commits.
- ``hold_cancelled``: the hold was released, by a request or because it expired (``settlement``,
  None for an expiry; ``reason``: ``staff``, ``code``, ``expiry`` or ``expired``). Sent after
  the change commits.
"""

from typing import Any

from django.dispatch import Signal

result_received = Signal()
success_page_visited = Signal()
fail_page_visited = Signal()
refund_requested = Signal()
refund_finished = Signal()
refund_failed = Signal()
final_receipt_sent = Signal()
final_receipt_registered = Signal()
payment_link_paid = Signal()
subscription_started = Signal()
subscription_renewed = Signal()
subscription_payment_failed = Signal()
subscription_cancelled = Signal()
payment_held = Signal()
hold_confirmed = Signal()
hold_cancelled = Signal()


def send(signal: Signal, *, sender: Any, callback: Any, invoice: Any, request: Any, **more: Any):
    """Send with django-robokassa's arguments (``InvId``, ``OutSum``, ``extra``) and ours."""
    return signal.send(
        sender=sender,
        InvId=callback.inv_id,
        OutSum=callback.out_sum,
        extra=callback.extra,
        invoice=invoice,
        request=request,
        **more,
    )
