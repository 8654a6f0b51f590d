"""The Russian translation is complete, compiled, and covers every translatable string."""

import ast
import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "wagtail_robokassa"
SANDBOX = Path(__file__).resolve().parents[1] / "sandbox" / "demo"
CATALOGS = [PACKAGE, SANDBOX]  # the plugin's, and the sandbox site's own strings


def po_of(source: Path) -> Path:
    return source / "locale" / "ru" / "LC_MESSAGES" / "django.po"


def read_po(path: Path) -> list[dict]:
    """Entries of a .po file: msgctxt, msgid, msgid_plural, msgstr list and flags."""
    entries, entry, key = [], None, None
    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            if entry and "msgid" in entry:
                entries.append(entry)
            entry, key = None, None
            continue
        entry = entry if entry is not None else {"flags": set(), "msgstr": {}}
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if isinstance(key, tuple):
                entry["msgstr"][key[1]] += value
            else:
                entry[key] += value
        else:
            word, _, rest = line.partition(" ")
            value = ast.literal_eval(rest)
            if word.startswith("msgstr"):
                key = ("msgstr", int(word[7:-1]) if "[" in word else 0)
                entry["msgstr"][key[1]] = value
            else:
                key = word
                entry[word] = value
    return entries


@pytest.mark.parametrize("source", CATALOGS, ids=["plugin", "sandbox"])
def test_po_has_no_fuzzy_or_empty_translations(source):
    entries = [e for e in read_po(po_of(source)) if e["msgid"]]
    assert entries
    for entry in entries:
        assert "fuzzy" not in entry["flags"], entry["msgid"]
        assert all(entry["msgstr"].values()), f"untranslated: {entry['msgid']!r}"


@pytest.mark.parametrize("source", CATALOGS, ids=["plugin", "sandbox"])
def test_mo_is_compiled_from_the_po(source):
    with po_of(source).with_suffix(".mo").open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)
    for entry in read_po(po_of(source)):
        if not entry["msgid"]:
            continue
        context = entry.get("msgctxt")
        if "msgid_plural" in entry:
            for n, expected in ((1, entry["msgstr"][0]), (5, entry["msgstr"][2])):
                if context:
                    got = catalog.npgettext(context, entry["msgid"], entry["msgid_plural"], n)
                else:
                    got = catalog.ngettext(entry["msgid"], entry["msgid_plural"], n)
                assert got == expected
        else:
            got = (
                catalog.pgettext(context, entry["msgid"])
                if context
                else catalog.gettext(entry["msgid"])
            )
            assert got == entry["msgstr"][0], f"stale .mo for {entry['msgid']!r}"


@pytest.mark.parametrize("source", CATALOGS, ids=["plugin", "sandbox"])
def test_every_translatable_string_is_in_the_po(tmp_path, source):
    if shutil.which("xgettext") is None:
        pytest.skip("needs GNU gettext (xgettext)")
    copy = tmp_path / source.name
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("locale", "__pycache__"))
    (copy / "locale").mkdir()
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "ru", "--no-location"],
        cwd=copy,
        env={k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        check=True,
        capture_output=True,
    )
    fresh = read_po(copy / "locale" / "ru" / "LC_MESSAGES" / "django.po")
    wanted = {(e.get("msgctxt"), e["msgid"]) for e in fresh if e["msgid"]}
    shipped = {(e.get("msgctxt"), e["msgid"]) for e in read_po(po_of(source)) if e["msgid"]}
    assert wanted - shipped == set(), "run `make messages` and translate"
    assert shipped - wanted == set(), "obsolete entries: run `make messages`"
