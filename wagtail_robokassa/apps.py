from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WagtailRobokassaConfig(AppConfig):
    name = "wagtail_robokassa"
    label = "wagtail_robokassa"
    verbose_name = _("ROBOKASSA")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
        from .admin.settings_panel import settings_edit_handler
        from .models import RobokassaSettings

        # Wagtail reads the edit handler from the model; attaching it here keeps the model free of
        # admin code. A project that set its own (in its AppConfig.ready) keeps it.
        if "edit_handler" not in RobokassaSettings.__dict__:
            RobokassaSettings.edit_handler = settings_edit_handler()
