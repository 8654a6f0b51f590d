"""An order model like the one in django-robokassa's README."""

from django.db import models
from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page

from wagtail_robokassa.blocks import PaymentButtonBlock


class Order(models.Model):
    name = models.CharField(max_length=100)
    total = models.DecimalField(max_digits=10, decimal_places=2)
    status = models.CharField(max_length=20, default="new")
    paid_sum = models.DecimalField(max_digits=19, decimal_places=8, null=True)
    extra_param = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return self.name


class ShopPage(Page):
    """A page type with payment blocks at the top level and nested in a section."""

    body = StreamField(
        [
            ("heading", blocks.CharBlock()),
            ("paragraph", blocks.RichTextBlock()),
            ("payment", PaymentButtonBlock()),
            (
                "section",
                blocks.StructBlock(
                    [
                        ("title", blocks.CharBlock()),
                        ("content", blocks.StreamBlock([("payment", PaymentButtonBlock())])),
                    ],
                    template="testapp/section.html",
                ),
            ),
        ],
        blank=True,
    )

    content_panels = [*Page.content_panels, FieldPanel("body")]
    template = "testapp/shop_page.html"
