"""Names that were renamed or moved keep working, with a ``DeprecationWarning``, until 1.0."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from typing import Any


def module_getattr(module: str, renamed: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` serving each old name of ``renamed`` (old name → dotted path of
    the new one) with a warning that says where it went."""

    def __getattr__(name: str) -> Any:
        if name not in renamed:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        target_module, new_name = renamed[name].rsplit(".", 1)
        warnings.warn(
            f"{module}.{name} is deprecated: use {target_module}.{new_name}",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(target_module), new_name)

    return __getattr__


def moved_module(module: str, new_module: str) -> Callable[[str], Any]:
    """A module ``__getattr__`` for a module that moved: every public name of ``new_module``,
    served with a warning that says where it went."""

    def __getattr__(name: str) -> Any:
        target = importlib.import_module(new_module)
        if name.startswith("__") or not hasattr(target, name):
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        warnings.warn(
            f"{module} is deprecated: use {new_module}.{name}", DeprecationWarning, stacklevel=2
        )
        return getattr(target, name)

    return __getattr__
