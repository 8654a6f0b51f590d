from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WagtailRobokassaConfig(AppConfig):
    name = "wagtail_robokassa"
    label = "wagtail_robokassa"
    verbose_name = _("ROBOKASSA")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
