"""The payment block: validation, rendering, nesting, previews and query cost."""

import re
from decimal import Decimal

import pytest
from django.core import signing
from wagtail.blocks.struct_block import StructBlockValidationError

from tests.wagtail.conftest import block_ids, payment_value, publish_shop_page
from wagtail_robokassa.blocks import PaymentButtonBlock
from wagtail_robokassa.tokens import make_token, read_token

pytestmark = pytest.mark.django_db


def clean(**overrides):
    block = PaymentButtonBlock()
    return block.clean(block.to_python(payment_value(**overrides)))


def test_a_fixed_price_is_required():
    with pytest.raises(StructBlockValidationError) as raised:
        clean(amount=None)
    assert "amount" in raised.value.block_errors


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"buyer_chooses_amount": True, "min_amount": "10", "max_amount": "5"}, "max_amount"),
        ({"buyer_chooses_amount": True, "min_amount": "10", "amount": "5"}, "amount"),
        ({"buyer_chooses_amount": True, "max_amount": "10", "amount": "50"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "1.234"}, "amount"),
        ({"description": "x" * 101}, "description"),
        ({"description": ""}, "description"),
    ],
)
def test_invalid_blocks_show_errors_on_the_field(overrides, field):
    with pytest.raises(StructBlockValidationError) as raised:
        clean(**overrides)
    assert field in raised.value.block_errors


def test_receipt_name_is_limited_to_128_characters():
    with pytest.raises(StructBlockValidationError) as raised:
        clean(receipt={"name": "я" * 129, "tax": "", "payment_method": "", "payment_object": ""})
    assert "receipt" in raised.value.block_errors


def test_buyer_chosen_amount_needs_no_price():
    value = clean(buyer_chooses_amount=True, amount=None, min_amount="100", max_amount="5000")
    assert value["min_amount"] == Decimal("100")


def test_rendered_page_has_a_signed_form_per_block(client, home):
    page = publish_shop_page(
        home,
        [
            ("payment", payment_value()),
            ("payment", payment_value(buyer_chooses_amount=True, amount=None, ask_email=True,
                                      min_amount=Decimal("100"), button_label="Поддержать")),
        ],
    )  # fmt: skip
    html = client.get(page.url).content.decode()
    tokens = re.findall(r'name="token" value="([^"]+)"', html)
    assert len(tokens) == 2
    assert [read_token(token, 60)[1] for token in tokens] == block_ids(page)
    assert all(read_token(token, 60)[0] == page.pk for token in tokens)
    assert 'action="/robokassa/pay/"' in html
    assert "990,00\N{NO-BREAK SPACE}₽" in html or "990.00\N{NO-BREAK SPACE}₽" in html
    assert 'name="amount"' in html
    assert 'min="100' in html
    assert 'type="email"' in html
    assert "Поддержать" in html
    assert "csrfmiddlewaretoken" not in html


def test_nested_blocks_are_found(client, home):
    section = {"title": "Тарифы", "content": [("payment", payment_value(description="Базовый"))]}
    page = publish_shop_page(home, [("section", section)])
    html = client.get(page.url).content.decode()
    (token,) = re.findall(r'name="token" value="([^"]+)"', html)
    assert read_token(token, 60) == (page.pk, block_ids(page)[0])


def test_rendering_without_a_page_degrades_clearly():
    html = PaymentButtonBlock().render(PaymentButtonBlock().to_python(payment_value()))
    assert "disabled" in html
    assert "works on the published page" in html


def test_block_preview_renders():
    block = PaymentButtonBlock()
    html = block.render(block.get_preview_value())
    assert "990" in html


def test_twenty_blocks_cost_the_same_queries_as_one(client, home, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    one = publish_shop_page(home, [("payment", payment_value())], slug="one")
    many = publish_shop_page(
        home, [("payment", payment_value(description=f"№{i}")) for i in range(20)], slug="many"
    )
    client.get(one.url)  # warm the site-root cache
    counts = []
    for page in (one, many):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(page.url).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_tokens_are_tamper_evident(shop_page):
    token = make_token(shop_page, "abc")
    with pytest.raises(signing.BadSignature):
        read_token(token[:-1] + ("A" if token[-1] != "A" else "B"), 60)
    with pytest.raises(signing.BadSignature):
        read_token(signing.dumps({"p": shop_page.pk, "b": "abc"}), 60)


def test_receipt_choices_are_named_in_host_migrations_not_copied():
    """A new VAT rate must not make every project using the block write a migration."""
    from wagtail_robokassa import blocks as module

    line = module.ReceiptLineBlock()
    for name, function in [
        ("tax", module.tax_choices),
        ("payment_method", module.payment_method_choices),
        ("payment_object", module.payment_object_choices),
    ]:
        _path, _args, kwargs = line.child_blocks[name].deconstruct()
        assert kwargs["choices"] is function
        assert function()[0][0] == ""  # "as in the settings" first
