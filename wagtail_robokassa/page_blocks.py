"""Finding payment blocks in a page's StreamFields, nested ones included: a payment block is one
whose class says ``is_payment_block`` (``blocks.PaymentButtonBlock`` and its subclasses)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from wagtail import blocks
from wagtail.blocks.list_block import ListValue
from wagtail.blocks.struct_block import StructValue


def payment_blocks(page: Any) -> Iterator[tuple[str, StructValue]]:
    """Every payment block in the page's StreamFields, nested ones included, with its id."""
    from wagtail.fields import StreamField

    for field in page._meta.get_fields():
        if isinstance(field, StreamField):
            yield from _walk(getattr(page, field.name))


def _walk(value: Any) -> Iterator[tuple[str, StructValue]]:
    if isinstance(value, blocks.StreamValue):
        children = [(child.block, child.id, child.value) for child in value]
    elif isinstance(value, ListValue):
        children = [(child.block, child.id, child.value) for child in value.bound_blocks]
    elif isinstance(value, StructValue):
        children = [(None, None, child) for child in value.values()]
    else:
        return
    for block, block_id, child in children:
        if getattr(block, "is_payment_block", False):
            yield block_id, child
        else:
            yield from _walk(child)


def block_id_for(page: Any, value: StructValue) -> str | None:
    """The id of the payment block whose value this is (looked up once per page render)."""
    ids = page.__dict__.get("_robokassa_block_ids")
    if ids is None:
        ids = {id(child): block_id for block_id, child in payment_blocks(page)}
        page.__dict__["_robokassa_block_ids"] = ids
    return ids.get(id(value))


def find_payment_block(page: Any, block_id: str) -> StructValue | None:
    return next((value for found, value in payment_blocks(page) if found == block_id), None)


def thank_you_text(invoice: Any) -> str:
    """The thank-you text of the block an invoice was paid through, if it still has one."""
    if invoice is None or not invoice.page_id or not invoice.block_id:
        return ""
    page = invoice.page.specific if invoice.page else None
    block = find_payment_block(page, invoice.block_id) if page is not None else None
    return (block.get("thank_you_text") or "") if block is not None else ""
