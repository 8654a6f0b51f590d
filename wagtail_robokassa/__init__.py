"""ROBOKASSA payments for Wagtail.

This module stays free of Django imports so that ``wagtail_robokassa.protocol`` can be used (and
imported) without Django installed.
"""

__version__ = "0.1.0.dev0"
