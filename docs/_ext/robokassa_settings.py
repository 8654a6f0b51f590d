"""The ``robokassa-settings`` directive: the settings reference, generated from the declarations
the code reads (``conf.MerchantConfig`` and ``plugin_settings.PLUGIN_SETTINGS``)."""

from __future__ import annotations

import dataclasses
import re
from typing import Any, NamedTuple

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

MERCHANT = "The shop (Django settings win over Settings → ROBOKASSA, field by field)"
LITERAL = re.compile(r"``(.+?)``")


class Entry(NamedTuple):
    topic: str
    name: str
    default: str
    doc: str


def _shown(value: Any) -> str:
    if value in ("", None, ()):
        return "—"
    return f"``{value!r}``"


def reference_entries() -> list[Entry]:
    """Every documented setting, topic by topic."""
    from wagtail_robokassa.conf import MerchantConfig
    from wagtail_robokassa.plugin_settings import PLUGIN_SETTINGS

    entries = []
    for field in dataclasses.fields(MerchantConfig):
        name = field.metadata["setting"]
        if name:
            doc = field.metadata["doc"]
            if field.metadata["site"]:
                doc += " Also in Settings → ROBOKASSA."
            entries.append(Entry(MERCHANT, name, _shown(field.default), doc))
    for declared in PLUGIN_SETTINGS:
        entries.append(Entry(declared.topic, declared.name, declared.default_text, declared.doc))
    return entries


def _inline(text: str) -> list[nodes.Node]:
    """Text with ``literals``."""
    parts: list[nodes.Node] = []
    for index, piece in enumerate(LITERAL.split(text)):
        if piece:
            parts.append(nodes.literal(piece, piece) if index % 2 else nodes.Text(piece))
    return parts


def _item(entry: Entry) -> nodes.definition_list_item:
    """The setting's name and default as the term, what it does as the definition."""
    target = nodes.target("", "", ids=[entry.name.lower().replace("_", "-")])
    term = nodes.term("", "", target, nodes.literal(entry.name, entry.name))
    default = nodes.paragraph("", "", nodes.emphasis("Default: ", "Default: "))
    default += _inline(entry.default)
    return nodes.definition_list_item(
        "", term, nodes.definition("", nodes.paragraph("", "", *_inline(entry.doc)), default)
    )


def _list(entries: list[Entry]) -> nodes.definition_list:
    listing = nodes.definition_list(classes=["robokassa-settings"])
    for entry in entries:
        listing += _item(entry)
    return listing


class SettingsReference(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        result: list[nodes.Node] = []
        entries = reference_entries()
        for topic in dict.fromkeys(entry.topic for entry in entries):
            result.append(nodes.rubric(topic, topic))
            result.append(_list([entry for entry in entries if entry.topic == topic]))
        return result


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("robokassa-settings", SettingsReference)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
