"""(B): the limit of this stack. Parse the same parameters, check an MD5, one raw INSERT."""

import hashlib
import hmac

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt

CREATE_TABLE = (
    "CREATE TABLE IF NOT EXISTS bench_baseline_payment ("
    "id bigserial PRIMARY KEY, inv_id integer NOT NULL, out_sum numeric(19, 8) NOT NULL, "
    "created_at timestamptz NOT NULL)"
)


@csrf_exempt
def baseline_result(request):
    data = request.POST
    out_sum, inv_id, signature = data.get("OutSum"), data.get("InvId"), data.get("SignatureValue")
    if not (out_sum and inv_id and signature):
        return HttpResponseBadRequest("bad request")
    base = f"{out_sum}:{inv_id}:{settings.ROBOKASSA_PASSWORD2}"
    expected = hashlib.md5(base.encode()).hexdigest()  # noqa: S324 - the protocol's hash
    if not hmac.compare_digest(expected, signature.lower()):
        return HttpResponseBadRequest("bad signature")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_baseline_payment (inv_id, out_sum, created_at) "
            "VALUES (%s, %s, now())",
            [int(inv_id), out_sum],
        )
    return HttpResponse(f"OK{inv_id}", content_type="text/plain")
