"""Sphinx configuration of the documentation site (``make docs``)."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE / "_ext")]

import sphinx_wagtail_theme  # noqa: E402

from wagtail_robokassa import __version__  # noqa: E402 - after the path is set

project = "wagtail-robokassa"
author = "wagtail-robokassa contributors"
copyright = "wagtail-robokassa contributors"
release = __version__
version = ".".join(__version__.split(".")[:2])

extensions = ["myst_parser", "sphinx_copybutton", "robokassa_settings"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "screenshots/*.py", "Thumbs.db", ".DS_Store"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]  # the design notes and the protocol reference skip levels

html_theme = "sphinx_wagtail_theme"
html_theme_path = [sphinx_wagtail_theme.get_html_theme_path()]
html_title = "wagtail-robokassa"
html_show_sourcelink = False
html_static_path: list[str] = []
html_theme_options = {
    "project_name": "wagtail-robokassa",
    "github_url": "https://github.com/wagtail-robokassa/wagtail-robokassa/blob/main/docs/",
    "footer_links": "",
}
