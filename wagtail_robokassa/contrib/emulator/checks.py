from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from ...plugin_settings import setting


def emulator_enabled() -> bool:
    """Only in development: ``DEBUG`` on, or ``ROBOKASSA_EMULATOR_ENABLED`` set explicitly."""
    return bool(settings.DEBUG or setting("ROBOKASSA_EMULATOR_ENABLED"))


@register("wagtail_robokassa")
def check_emulator(app_configs: Any = None, **kwargs: Any) -> list:
    if emulator_enabled():
        return []
    return [
        Error(
            "The ROBOKASSA emulator is installed while DEBUG is off.",
            hint="Remove wagtail_robokassa.contrib.emulator from INSTALLED_APPS in production, "
            "or set ROBOKASSA_EMULATOR_ENABLED = True where a stand-in is really wanted.",
            id="robokassa_emulator.E001",
        )
    ]
