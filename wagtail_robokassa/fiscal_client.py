"""Deprecated: moved to ``wagtail_robokassa.gateway.fiscal``; this name works until 1.0."""

from .deprecation import moved_module

__getattr__ = moved_module(__name__, "wagtail_robokassa.gateway.fiscal")
