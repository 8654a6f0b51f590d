"""A local stand-in for ROBOKASSA, for development and tests: add
``"wagtail_robokassa.contrib.emulator"`` to ``INSTALLED_APPS``, mount
``path("emulator/", include("wagtail_robokassa.contrib.emulator.urls"))`` and point
``ROBOKASSA_TEST_FORM_TARGET`` at ``/emulator/Merchant/Index.aspx``. It serves only with ``DEBUG``
on or ``ROBOKASSA_EMULATOR_ENABLED = True``, and only ever uses the test passwords."""
