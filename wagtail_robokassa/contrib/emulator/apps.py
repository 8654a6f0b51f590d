from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmulatorConfig(AppConfig):
    name = "wagtail_robokassa.contrib.emulator"
    label = "robokassa_emulator"
    verbose_name = _("ROBOKASSA emulator")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system check)
