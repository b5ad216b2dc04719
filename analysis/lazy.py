"""A package's public names loaded on first use (PEP 562), for ``analysis/__init__`` and ``orchestration/__init__``.

A package lists each public name's home, ``{name: (module, name there)}``, and sets its module-level
``__getattr__`` and ``__dir__`` from ``LazyNames``: ``from package import name`` then imports that one module,
not every module the package names (so ``judge-studio users list`` loads no scikit-learn, SciPy, torch or Gradio:
``tests/test_s16_light_cli.py``). A loaded name is kept in the package, so ``__getattr__`` is asked once.
Standard library only: it lives in ``analysis``, the lowest layer that may hold it and that imports nothing of
ours, so both packages can use it without a contract of their own.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from typing import Any


class LazyNames:
    """``load`` (a package's ``__getattr__``) and ``names`` (its ``__dir__``) over ``homes``."""

    def __init__(self, package: str, homes: Mapping[str, tuple[str, str]]) -> None:
        self.package = package
        self.homes = dict(homes)
        # the package's own namespace (its globals()): written directly, past any ``__setattr__`` of its class
        self.namespace = vars(sys.modules[package])

    def load(self, name: str) -> Any:
        """A public name, imported from its module at its first use (and kept in the package)."""
        try:
            module, attribute = self.homes[name]
        except KeyError:
            raise AttributeError(f"module {self.package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module), attribute)
        self.namespace[name] = value
        return value

    def names(self) -> list[str]:
        """The package's names, loaded or not (``dir(package)``)."""
        return sorted({*self.namespace, *self.homes})


def homes_of(modules: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, str]]:
    """``{name: (module, name)}`` of ``{module: (its public names, ...)}``: the names keep their modules' names."""
    return {name: (module, name) for module, names in modules.items() for name in names}
