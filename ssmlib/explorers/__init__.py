"""Slider UIs for the chapters, one module per chapter group.

Each builder returns a :class:`ssmlib.widgets.Explorer`; a chapter calls
``.show()`` on it, and the tests drive it from code.

The builders are imported on first use (PEP 562), so that the chapter 1-7
explorers work without torch: only ``scan_levels_explorer`` and
``lru_init_explorer`` need it.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Public name -> submodule that defines it (one line per explorer).
_BUILDERS = {
    "spring_mass_damper_explorer": "mechanics",
    "root_locus_explorer": "mechanics",
    "discretization_explorer": "discretization",
    "koopman_explorer": "koopman",
    "ring_init_explorer": "diagonalization",
    "aa_ab_explorer": "recurrence",
    "bifurcation_explorer": "rnn",
    "lru_init_explorer": "lru",
    "damper_lru_explorer": "lru",
    "scan_levels_explorer": "scan",
    "s4d_kernel_explorer": "family",
    "selective_gate_explorer": "family",
    "pathfinder_explorer": "lra",
}

__all__ = sorted(_BUILDERS)


def __getattr__(name: str) -> Any:
    if name in _BUILDERS:
        module = importlib.import_module(f".{_BUILDERS[name]}", __name__)
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_BUILDERS))
