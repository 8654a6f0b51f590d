"""(B): the limit of this stack. Parse the same parameters, check an MD5, one raw INSERT (and, in
the shop scenario, the shop's UPDATE of its order in the same transaction)."""

import hashlib
import hmac

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt

CREATE_TABLES = [
    "CREATE TABLE IF NOT EXISTS bench_baseline_payment ("
    "id bigserial PRIMARY KEY, inv_id integer NOT NULL, out_sum numeric(19, 8) NOT NULL, "
    "created_at timestamptz NOT NULL)",
    "CREATE TABLE IF NOT EXISTS bench_shop_order (id integer PRIMARY KEY, paid boolean NOT NULL)",
]


@csrf_exempt
@transaction.non_atomic_requests
def baseline_result(request):
    data = request.POST
    out_sum, inv_id, signature = data.get("OutSum"), data.get("InvId"), data.get("SignatureValue")
    if not (out_sum and inv_id and signature):
        return HttpResponseBadRequest("bad request")
    base = f"{out_sum}:{inv_id}:{settings.BENCH_PASSWORD2}"
    expected = hashlib.md5(base.encode()).hexdigest()  # noqa: S324 - the protocol's hash
    if not hmac.compare_digest(expected, signature.lower()):
        return HttpResponseBadRequest("bad signature")
    if settings.SCENARIO == "shop":
        with transaction.atomic(), connection.cursor() as cursor:
            _insert(cursor, inv_id, out_sum)
            cursor.execute("UPDATE bench_shop_order SET paid = true WHERE id = %s", [int(inv_id)])
    else:
        with connection.cursor() as cursor:
            _insert(cursor, inv_id, out_sum)
    return HttpResponse(f"OK{inv_id}", content_type="text/plain")


def _insert(cursor, inv_id, out_sum):
    cursor.execute(
        "INSERT INTO bench_baseline_payment (inv_id, out_sum, created_at) VALUES (%s, %s, now())",
        [int(inv_id), out_sum],
    )
