"""The layers stay apart: models and configuration never import admin code, and every list of
merchant fields comes from the one declaration on ``MerchantConfig``."""

import ast
import dataclasses
from pathlib import Path

import pytest

import wagtail_robokassa
from wagtail_robokassa import conf
from wagtail_robokassa.models import RobokassaSettings
from wagtail_robokassa.services.rejections import REDACTED, redact

PACKAGE = Path(wagtail_robokassa.__file__).parent
ADMIN_MODULES = ("wagtail.admin", "wagtail_robokassa.admin")


def imported_modules(path: Path) -> set[str]:
    """Absolute names of every module that ``path`` imports, at any depth in the file."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("path", sorted((PACKAGE / "models").glob("*.py")), ids=lambda p: p.name)
def test_models_import_no_admin_code(path):
    imported = imported_modules(path)
    assert not [name for name in imported if name.startswith(ADMIN_MODULES)]


def test_conf_touches_no_model_and_no_admin():
    imported = imported_modules(PACKAGE / "conf.py")
    assert not [n for n in imported if n.startswith(("wagtail_robokassa.models", "django.db"))]
    assert not [n for n in imported if n.startswith(ADMIN_MODULES)]


def test_the_import_helper_resolves_relative_imports():
    imported = imported_modules(PACKAGE / "admin" / "settings_panel.py")
    assert "wagtail_robokassa.admin.settings_form.RobokassaSettingsForm" in imported


def test_site_fields_are_the_settings_models_fields():
    model_fields = {
        f.name
        for f in RobokassaSettings._meta.concrete_fields
        if not f.primary_key and f.name not in ("site", "revision")  # bookkeeping, not shop
    }
    assert set(conf.SITE_FIELDS) == model_fields


def test_every_django_setting_names_a_field_and_has_a_doc():
    """The settings reference is generated from these docs (``tests/test_settings_reference``)."""
    fields = {f.name: f for f in dataclasses.fields(conf.MerchantConfig)}
    for _setting, (name, _convert) in conf.DJANGO_SETTINGS.items():
        assert fields[name].metadata["doc"].endswith(".")


def test_callback_fields_are_the_ones_verification_reads():
    assert {
        "login",
        "password1",
        "password2",
        "test_password1",
        "test_password2",
        "test_mode",
        "algorithm",
    } == conf.CALLBACK_FIELDS


@pytest.mark.parametrize("name", conf.SECRET_FIELDS)
def test_every_secret_is_redacted_and_hidden_from_repr(name):
    config = conf.MerchantConfig(**{name: "s3cret-value-42"})
    assert "s3cret-value-42" not in repr(config)
    stored = redact([("Shp_note", "s3cret-value-42"), ("Shp_other", "fine")], config)
    assert stored == {"Shp_note": REDACTED, "Shp_other": "fine"}


@pytest.mark.parametrize(
    ("module", "old", "new"),
    [
        ("wagtail_robokassa.conf", "get_config", "wagtail_robokassa.services.config.get_config"),
        (
            "wagtail_robokassa.conf",
            "django_settings_values",
            "wagtail_robokassa.conf.server_values",
        ),
        (
            "wagtail_robokassa.protocol",
            "verify_result",
            "wagtail_robokassa.protocol.callbacks.is_signed_result",
        ),
        (
            "wagtail_robokassa.protocol",
            "verify_success",
            "wagtail_robokassa.protocol.callbacks.is_signed_success",
        ),
        (
            "wagtail_robokassa.services",
            "check_result",
            "wagtail_robokassa.services.verification.require_result_signature",
        ),
        (
            "wagtail_robokassa.services",
            "verified_success",
            "wagtail_robokassa.services.verification.parse_verified_success",
        ),
        (
            "wagtail_robokassa.services.verification",
            "parse",
            "wagtail_robokassa.services.verification.parse_or_refuse",
        ),
        ("wagtail_robokassa.status_client", "check_status", "wagtail_robokassa.gateway.status"),
        ("wagtail_robokassa.refund_client", "create_refund", "wagtail_robokassa.gateway.refunds"),
        ("wagtail_robokassa.fiscal_client", "attach_receipt", "wagtail_robokassa.gateway.fiscal"),
        ("wagtail_robokassa.http", "json_object", "wagtail_robokassa.gateway.transport"),
        ("wagtail_robokassa.client", "client_ip", "wagtail_robokassa.requester"),
    ],
)
def test_moved_names_still_work_with_a_warning(module, old, new):
    import importlib

    if new.startswith("wagtail_robokassa.gateway") or new.endswith("requester"):
        new = f"{new}.{old}"  # a whole module moved: the name is the same in the new one
    new_module, new_name = new.rsplit(".", 1)
    with pytest.warns(DeprecationWarning, match=new):
        value = getattr(importlib.import_module(module), old)
    assert value is getattr(importlib.import_module(new_module), new_name)


def test_unknown_names_are_still_attribute_errors():
    with pytest.raises(AttributeError):
        conf.no_such_name  # noqa: B018


def test_a_moved_module_has_only_the_names_of_the_new_one():
    from wagtail_robokassa import status_client

    with pytest.raises(AttributeError):
        status_client.no_such_name  # noqa: B018


def test_remote_calls_go_through_the_one_transport():
    """Only ``gateway.transport`` speaks HTTP; nothing else imports ``requests``, ``urllib3`` or
    ``http.client`` (the emulator's own calls to the shop's Result URL use ``urllib``)."""
    speakers = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if any(
            name.split(".")[0] in ("requests", "urllib3") or name.startswith("http.client")
            for name in imported_modules(path)
        )
    }
    assert speakers == {"gateway/transport.py"}


def test_blocks_and_page_blocks_do_not_import_each_other():
    imported = imported_modules(PACKAGE / "page_blocks.py")
    assert not [name for name in imported if name.startswith("wagtail_robokassa.blocks")]
    assert "wagtail_robokassa.page_blocks" in imported_modules(PACKAGE / "blocks.py")
