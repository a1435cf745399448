"""Diagrams of the book, drawn with matplotlib (no image files from elsewhere).

Each function draws one diagram and returns its :class:`matplotlib.figure.Figure`;
a chapter calls it where the text first needs the picture. One module per subject:

=============  ==========================================================
module         diagrams (chapter)
=============  ==========================================================
``spring``     the spring-mass-damper (1)
``scans``      Hillis-Steele and Blelloch trees, the chunked scan (8)
``network``    the LRU block, the full network, the ring of eigenvalues (9)
``family``     S4, S4D and the selective scan (10)
``tasks``      the inputs of the Long Range Arena tasks (11)
=============  ==========================================================

The functions are imported on first use (PEP 562) and need only matplotlib.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Submodules, in the order of the book.
_MODULES = ("spring", "scans", "network", "family", "tasks")


def _public(module: Any) -> list[str]:
    return list(getattr(module, "__all__", ()))


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        value = importlib.import_module(f".{name}", __name__)
        globals()[name] = value
        return value
    if not name.startswith("_"):
        for mod_name in _MODULES:
            try:
                module = importlib.import_module(f".{mod_name}", __name__)
            except ModuleNotFoundError as exc:
                if exc.name == f"{__name__}.{mod_name}":
                    continue  # a module not written yet
                raise
            if name in _public(module):
                value = getattr(module, name)
                globals()[name] = value
                return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    names = set(globals())
    for mod_name in _MODULES:
        try:
            names.update(_public(importlib.import_module(f".{mod_name}", __name__)))
        except ModuleNotFoundError:
            pass
    return sorted(names)
