from django.db import models
from django.utils.translation import gettext_lazy as _


class EmulatedOperation(models.Model):
    """A payment the emulator was asked for, and where it got to (OpStateExt state codes)."""

    INITIATED, CANCELLED, PAID = 5, 10, 100

    merchant_login = models.CharField(_("merchant login"), max_length=100)
    inv_id = models.IntegerField(_("InvId"), db_index=True)
    out_sum = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    description = models.CharField(_("description"), max_length=100, blank=True)
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    culture = models.CharField(_("language"), max_length=8, blank=True)
    shp = models.JSONField(_("user parameters"), default=dict, blank=True)
    receipt = models.JSONField(_("receipt"), null=True, blank=True)
    state = models.IntegerField(_("state"), default=INITIATED)
    op_key = models.CharField(_("operation key"), max_length=64, blank=True)
    shop_answer = models.TextField(_("the shop's answer"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("emulated operation")
        verbose_name_plural = _("emulated operations")

    def __str__(self) -> str:
        return f"#{self.inv_id} {self.out_sum} ({self.state})"
