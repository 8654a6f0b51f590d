"""The settings reference cannot drift: every ``ROBOKASSA_*`` setting the code names is in the
built documentation, and everything it documents is declared where the code reads it."""

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NAME = re.compile(r"\bROBOKASSA_[A-Z0-9]+(?:_[A-Z0-9]+)*\b")
#: Names in the code that are not settings.
NOT_SETTINGS = {"ROBOKASSA_PASSWORD"}  # the start of "ROBOKASSA_PASSWORD1/2/3" in messages


def names_in_the_code() -> set[str]:
    found = set()
    for path in (ROOT / "wagtail_robokassa").rglob("*.py"):
        if "migrations" not in path.parts:
            found |= set(NAME.findall(path.read_text()))
    return found - NOT_SETTINGS


def documented() -> set[str]:
    sys.path.insert(0, str(ROOT / "docs" / "_ext"))
    try:
        from robokassa_settings import reference_entries
    finally:
        sys.path.remove(str(ROOT / "docs" / "_ext"))
    return {entry.name for entry in reference_entries()}


def test_every_setting_the_code_names_is_documented():
    code = names_in_the_code()
    assert len(code) > 40
    assert sorted(code - documented()) == []


def test_every_plugin_setting_is_read_through_its_declaration(settings):
    from wagtail_robokassa.conf import setting
    from wagtail_robokassa.plugin_settings import PLUGIN_SETTINGS

    for declared in PLUGIN_SETTINGS:
        if hasattr(settings, declared.name):
            delattr(settings, declared.name)
        assert setting(declared.name) == declared.default
    with pytest.raises(KeyError):
        setting("ROBOKASSA_NOBODY_DECLARED_THIS")


def test_the_built_reference_lists_them_all(tmp_path):
    from sphinx.cmd.build import build_main

    status = build_main(
        ["-W", "--keep-going", "-q", "-b", "html", str(ROOT / "docs"), str(tmp_path)]
    )
    assert status == 0
    page = (tmp_path / "reference" / "settings.html").read_text()
    shown = set(NAME.findall(page))
    assert sorted(names_in_the_code() - shown) == []
    item = re.search(
        r'<dt><span class="target" id="robokassa-pay-rate-limit">.*?</dd>', page, re.DOTALL
    )
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item[0])).strip()
    assert text.startswith("ROBOKASSA_PAY_RATE_LIMIT Invoices per client")
    assert text.endswith("Default: (10, 60)")
