"""What every request that is followed at ROBOKASSA until it settles keeps (a refund, a final
receipt): who asked and when, the last word about it, and when it is asked about next."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class FollowedRequest(models.Model):
    #: Records are not content: Wagtail's reference index (and its task per save) skips them.
    wagtail_reference_index_ignore = True

    message = models.CharField(_("message"), max_length=255, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    polls = models.PositiveIntegerField(_("state checks"), default=0)
    next_poll_at = models.DateTimeField(_("next state check"), null=True, blank=True)

    class Meta:
        abstract = True
