from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page

from wagtail_robokassa.blocks import PaymentButtonBlock


class HomePage(Page):
    """A landing page whose body offers headings, text and payment buttons."""

    body = StreamField(
        [
            ("heading", blocks.CharBlock(form_classname="title", icon="title")),
            ("paragraph", blocks.RichTextBlock()),
            ("payment", PaymentButtonBlock()),
        ],
        blank=True,
    )

    content_panels = [*Page.content_panels, FieldPanel("body")]
