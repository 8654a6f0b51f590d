"""Property tests (500 examples each: see the hypothesis profile in tests/conftest.py)."""

from decimal import Decimal

from hypothesis import assume, given
from hypothesis import strategies as st

from wagtail_robokassa.protocol import (
    HASH_ALGORITHMS,
    MAX_INV_ID,
    Callback,
    MalformedCallback,
    format_out_sum,
    is_signed_result,
    parse_callback,
    payment_params,
    result_signature,
    sign,
)

amounts = st.decimals(
    min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2, allow_nan=False
)
inv_ids = st.integers(min_value=1, max_value=MAX_INV_ID)
passwords = st.text(min_size=1, max_size=40)
shp_values = st.text(max_size=30)
# Bare names starting with "shp" are refused on purpose (they look like a mistyped prefix).
bare_names = st.from_regex(r"[a-z][a-z_]{0,9}", fullmatch=True).filter(
    lambda name: not name.startswith("shp")
)
shp_dicts = st.dictionaries(bare_names, shp_values)
algorithms = st.sampled_from(HASH_ALGORITHMS)
received_formats = st.sampled_from(["{:.2f}", "{:.6f}", "{}"])


def result_request(amount_text, inv_id, password, shp, algorithm, *, upper=False):
    full = {f"Shp_{name}": value for name, value in shp.items()}
    signature = result_signature(amount_text, inv_id, password, shp=full, algorithm=algorithm)
    return {
        "OutSum": amount_text,
        "InvId": str(inv_id),
        "SignatureValue": signature.upper() if upper else signature,
        **full,
    }


@given(amounts, inv_ids, passwords, shp_dicts, algorithms, received_formats, st.booleans())
def test_result_round_trip(amount, inv_id, password, shp, algorithm, fmt, upper):
    amount_text = fmt.format(amount)
    params = result_request(amount_text, inv_id, password, shp, algorithm, upper=upper)
    callback = parse_callback(params)
    assert callback.out_sum == amount
    assert callback.inv_id == inv_id
    assert callback.extra == shp
    assert is_signed_result(callback, password, algorithm)


MUTATIONS = ["amount", "amount_text", "inv_id", "password", "shp_value", "shp_added", "shp_removed"]


@given(amounts, inv_ids, passwords, shp_dicts, algorithms, st.sampled_from(MUTATIONS), st.data())
def test_changing_any_signed_field_breaks_verification(
    amount, inv_id, password, shp, algorithm, mutation, data
):
    params = result_request(f"{amount:.2f}", inv_id, password, shp, algorithm)
    check_password = password
    if mutation == "amount":
        other = data.draw(amounts)
        assume(other != amount)
        params["OutSum"] = f"{other:.2f}"
    elif mutation == "amount_text":
        params["OutSum"] = f"{amount:.6f}"  # same money, different received string
    elif mutation == "inv_id":
        other = data.draw(inv_ids)
        assume(other != inv_id)
        params["InvId"] = str(other)
    elif mutation == "password":
        check_password = data.draw(passwords)
        assume(check_password != password)
    elif mutation == "shp_value":
        assume(shp)
        name = "Shp_" + data.draw(st.sampled_from(sorted(shp)))
        new_value = data.draw(shp_values)
        assume(new_value != params[name])
        params[name] = new_value
    elif mutation == "shp_added":
        name = "Shp_" + data.draw(st.from_regex(r"[a-z]{1,10}", fullmatch=True))
        assume(name.lower() not in {key.lower() for key in params})
        params[name] = data.draw(shp_values)
    else:
        assume(shp)
        del params["Shp_" + data.draw(st.sampled_from(sorted(shp)))]
    assert not is_signed_result(parse_callback(params), check_password, algorithm)


@given(amounts, inv_ids, passwords, shp_dicts, algorithms)
def test_payment_fields_carry_their_own_signature(amount, inv_id, password, shp, algorithm):
    """What ROBOKASSA does on receipt: rebuild the base string from the fields it was sent."""
    fields = payment_params("shop", amount, inv_id, password, shp=shp, algorithm=algorithm)
    values = dict(fields)
    shp_fields = [f"{name}={value}" for name, value in fields if name.startswith("Shp_")]
    expected = sign(
        [values["MerchantLogin"], values["OutSum"], values["InvId"], password, *shp_fields],
        algorithm,
    )
    assert values["SignatureValue"] == expected
    assert values["OutSum"] == format_out_sum(amount)
    assert shp_fields == sorted(shp_fields)


known_names = st.sampled_from(
    ["OutSum", "InvId", "SignatureValue", "IsTest", "Fee", "EMail", "Shp_a", "shp_b", "crc"]
)
plausible_values = st.one_of(
    st.from_regex(r"-?[0-9]{0,11}(\.[0-9]{0,12})?", fullmatch=True),
    st.from_regex(r"[0-9a-fA-F]{30,130}", fullmatch=True),
    st.text(max_size=50),
)
names = st.one_of(known_names, st.text(max_size=70), st.integers(), st.none())
values = st.one_of(
    plausible_values,
    st.lists(plausible_values, max_size=3),
    st.integers(),
    st.none(),
    st.binary(max_size=10),
)
mappings = st.one_of(
    st.dictionaries(names, values, max_size=12),
    st.lists(st.tuples(names, values), max_size=12),
    st.lists(st.lists(names, max_size=3), max_size=3),
    st.text(max_size=20),
    st.none(),
)


@given(mappings)
def test_parse_callback_returns_a_callback_or_refuses(params):
    try:
        result = parse_callback(params)
    except MalformedCallback as refusal:
        refused = refusal
    else:
        refused = None
        assert isinstance(result, Callback)
        assert result.out_sum > 0
        assert 1 <= result.inv_id <= MAX_INV_ID
    if refused is not None:
        assert refused.code
        assert refused.reason
