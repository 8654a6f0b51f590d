"""The ROBOKASSA merchant protocol, in pure Python (no Django, no Wagtail).

Signatures, ``OutSum`` formatting, ``Shp_*`` parameters, the 54-FZ ``Receipt``, callback parsing
and verification, and ``OpStateExt``. See ``docs/robokassa-protocol.md`` for the reference and
its test vectors.
"""

from ..deprecation import module_getattr
from .amounts import format_out_sum, money
from .callbacks import (
    LEGACY_PARAMS,
    Callback,
    is_signed_result,
    is_signed_success,
    parse_callback,
    result_signature,
    success_signature,
)
from .errors import (
    MalformedCallback,
    OpStateError,
    ProtocolError,
    ReceiptError,
    UnsupportedAlgorithm,
)
from .fiscal import (
    PREPAYMENT_METHODS,
    fiscal_body,
    receipt_status_payload,
    second_receipt_payload,
    verify_fiscal_body,
)
from .jwt import invoice_api_token, refund_token, verify_invoice_api_token, verify_refund_token
from .limits import MAX_CALLBACK_PARAMS, MAX_NAME_LENGTH, MAX_SHP_PARAMS, MAX_VALUE_LENGTH
from .opstate import (
    OPSTATE_URL,
    OperationState,
    OpState,
    OpStateResult,
    opstate_request,
    opstate_signature,
    parse_opstate,
)
from .payment import (
    DESCRIPTION_MAX_LENGTH,
    HOSTS,
    MAX_INV_ID,
    PAYMENT_URL,
    payment_page_url,
    payment_params,
    payment_signature,
    payment_url,
)
from .receipt import (
    PaymentMethod,
    PaymentObject,
    Receipt,
    ReceiptItem,
    Tax,
    TaxSystem,
    check_receipt_total,
    decode_receipt,
    encode_receipt,
)
from .shp import SHP_PREFIX, bare_shp_name, check_shp_value, is_shp_name
from .signing import (
    DEFAULT_ALGORITHM,
    HASH_ALGORITHMS,
    algorithm_available,
    normalize_algorithm,
    sign,
    signatures_match,
)

__all__ = [
    "DEFAULT_ALGORITHM",
    "DESCRIPTION_MAX_LENGTH",
    "HASH_ALGORITHMS",
    "HOSTS",
    "LEGACY_PARAMS",
    "MAX_CALLBACK_PARAMS",
    "MAX_INV_ID",
    "MAX_NAME_LENGTH",
    "MAX_SHP_PARAMS",
    "MAX_VALUE_LENGTH",
    "OPSTATE_URL",
    "PAYMENT_URL",
    "PREPAYMENT_METHODS",
    "SHP_PREFIX",
    "Callback",
    "MalformedCallback",
    "OpState",
    "OpStateError",
    "OpStateResult",
    "OperationState",
    "PaymentMethod",
    "PaymentObject",
    "ProtocolError",
    "Receipt",
    "ReceiptError",
    "ReceiptItem",
    "Tax",
    "TaxSystem",
    "UnsupportedAlgorithm",
    "algorithm_available",
    "bare_shp_name",
    "check_receipt_total",
    "check_shp_value",
    "decode_receipt",
    "encode_receipt",
    "fiscal_body",
    "format_out_sum",
    "invoice_api_token",
    "is_shp_name",
    "is_signed_result",
    "is_signed_success",
    "money",
    "normalize_algorithm",
    "opstate_request",
    "opstate_signature",
    "parse_callback",
    "parse_opstate",
    "payment_page_url",
    "payment_params",
    "payment_signature",
    "payment_url",
    "receipt_status_payload",
    "refund_token",
    "result_signature",
    "second_receipt_payload",
    "sign",
    "signatures_match",
    "success_signature",
    "verify_fiscal_body",
    "verify_invoice_api_token",
    "verify_refund_token",
]

__getattr__ = module_getattr(
    __name__,
    {
        "verify_result": "wagtail_robokassa.protocol.callbacks.is_signed_result",
        "verify_success": "wagtail_robokassa.protocol.callbacks.is_signed_success",
    },
)
