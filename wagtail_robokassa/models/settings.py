"""The shop's ROBOKASSA configuration for one Wagtail Site, edited in Settings → ROBOKASSA."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

from ..conf import SITE_FIELDS, MerchantConfig, merged_config
from ..fields import EncryptedSecretField

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

from ..protocol import HASH_ALGORITHMS, HOSTS, PaymentMethod, PaymentObject
from ..receipt_choices import choices

CULTURES = [("", _("The buyer's browser language")), ("ru", _("Russian")), ("en", _("English"))]
COUNTRIES = [
    (HOSTS["ru"], _("Russia (auth.robokassa.ru)")),
    (HOSTS["kz"], _("Kazakhstan (auth.robokassa.kz)")),
]
TAX_SYSTEMS = [("", _("As set in the ROBOKASSA cabinet")), *choices("sno")]
TAXES = choices("tax")
PAYMENT_METHODS = choices("payment_method")
PAYMENT_OBJECTS = choices("payment_object")


class RevisedQuerySet(models.QuerySet):
    """Every bulk update gives the rows a new revision, as ``save()`` does; a password set in
    bulk is sealed for each row (its token is bound to the row)."""

    def update(self, **kwargs: Any) -> int:
        kwargs.setdefault("revision", uuid.uuid4())
        fields = {name: self.model._meta.get_field(name) for name in kwargs}
        secrets = {
            name: (field, value)
            for name, value in kwargs.items()
            if isinstance(field := fields[name], EncryptedSecretField)
            and isinstance(value, str)
            and value
        }
        if not secrets:
            return super().update(**kwargs)
        updated = 0
        with transaction.atomic(using=self.db):
            for row in self.select_for_update().only("pk", "site_id"):
                sealed = {
                    name: field.seal_for(value, row) for name, (field, value) in secrets.items()
                }
                rows = self.model._base_manager.using(self.db).filter(pk=row.pk)  # type: ignore[attr-defined]
                updated += models.QuerySet.update(rows, **{**kwargs, **sealed})
        return updated


def _secret(label: StrOrPromise, help_text: StrOrPromise = "") -> EncryptedSecretField:
    return EncryptedSecretField(label, blank=True, help_text=help_text, bind_to="site")


@register_setting(icon="key")
class RobokassaSettings(BaseSiteSetting):
    """One Site's shop. Django ``ROBOKASSA_*`` settings win field by field (see ``conf``).

    Its fields are ``conf.SITE_FIELDS``; the admin's panels and form are attached by the app
    (``admin.settings_panel``), so that models never import admin code.
    """

    login = models.CharField(
        _("merchant login"),
        max_length=100,
        blank=True,
        help_text=_("The shop identifier (MerchantLogin) from the ROBOKASSA cabinet."),
    )
    password1 = _secret(_("Password #1"), _("Signs payments and the Success URL."))
    password2 = _secret(_("Password #2"), _("Verifies ROBOKASSA's notifications (Result URL)."))
    test_password1 = _secret(_("test Password #1"))
    test_password2 = _secret(_("test Password #2"))
    password3 = _secret(_("Password #3"), _("For refunds through the API (optional)."))
    test_mode = models.BooleanField(
        _("test mode"),
        default=False,
        help_text=_("Payments are test payments, signed with the test passwords. No money moves."),
    )
    algorithm = models.CharField(
        _("hash algorithm"),
        max_length=16,
        choices=[(name, name.upper()) for name in HASH_ALGORITHMS],
        default="md5",
        help_text=_("As chosen in the cabinet's technical settings."),
    )
    culture = models.CharField(
        _("payment page language"), max_length=2, choices=CULTURES, blank=True
    )
    host = models.CharField(_("country"), max_length=64, choices=COUNTRIES, default=HOSTS["ru"])
    recurring_enabled = models.BooleanField(
        _("recurring payments enabled by ROBOKASSA"),
        default=False,
        help_text=_(
            "Turn on only once ROBOKASSA has enabled recurring payments for this shop (by "
            "agreement, for bank cards): payment blocks then take subscriptions."
        ),
    )
    holds_enabled = models.BooleanField(
        _("holds enabled by ROBOKASSA"),
        default=False,
        help_text=_(
            "Turn on only once ROBOKASSA has enabled holds for this shop (by agreement, for bank "
            "cards): payment blocks may then hold the money, to be charged or released later."
        ),
    )
    strict_check = models.BooleanField(
        _("strict check"),
        default=True,
        help_text=_(
            "Show the success page only after ROBOKASSA has confirmed the payment on the "
            "Result URL."
        ),
    )
    send_receipts = models.BooleanField(
        _("send receipts (54-FZ)"),
        default=False,
        help_text=_("Send a fiscal receipt with every payment made with a payment block."),
    )
    receipt_sno = models.CharField(_("tax system"), max_length=32, choices=TAX_SYSTEMS, blank=True)
    receipt_tax = models.CharField(_("VAT rate"), max_length=16, choices=TAXES, default="none")
    receipt_payment_method = models.CharField(
        _("payment method attribute"),
        max_length=32,
        choices=PAYMENT_METHODS,
        default=PaymentMethod.FULL_PAYMENT.value,
    )
    receipt_payment_object = models.CharField(
        _("payment object attribute"),
        max_length=32,
        choices=PAYMENT_OBJECTS,
        default=PaymentObject.COMMODITY.value,
    )

    #: New on every write (``save()``, fixtures, bulk updates): callbacks verified with a copy of
    #: the configuration kept in the process record a payment only while the row still has the
    #: revision the copy was read with (see ``services.config``).
    revision = models.UUIDField(default=uuid.uuid4, editable=False)

    objects = RevisedQuerySet.as_manager()

    class Meta:
        verbose_name = "ROBOKASSA"
        verbose_name_plural = "ROBOKASSA"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("update_fields") is not None:  # the new revision is written with them
            kwargs["update_fields"] = {*kwargs["update_fields"], "revision"}
        super().save(*args, **kwargs)

    def config(self) -> MerchantConfig:
        """This Site's configuration in force: these values, under Django settings."""
        return merged_config(
            {name: getattr(self, name) for name in SITE_FIELDS}, site_id=self.site_id
        )

    def __str__(self) -> str:
        return f"ROBOKASSA ({self.site})"


@receiver(pre_save, sender=RobokassaSettings, dispatch_uid="wagtail_robokassa.settings.revise")
def _revise(sender: type[RobokassaSettings], instance: RobokassaSettings, **kwargs: Any) -> None:
    instance.revision = uuid.uuid4()
