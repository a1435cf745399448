"""Slider UIs for the chapters, one module per chapter group.

Each builder returns a :class:`ssmlib.widgets.Explorer`; a chapter calls
``.show()`` on it, and the tests drive it from code.
"""

from __future__ import annotations

# One import line per module (each chapter group adds its own).
from .mechanics import spring_mass_damper_explorer, root_locus_explorer
from .discretization import discretization_explorer
from .koopman import koopman_explorer
from .diagonalization import ring_init_explorer
from .recurrence import aa_ab_explorer
from .rnn import bifurcation_explorer
from .lru import lru_init_explorer
from .scan import scan_levels_explorer
from .lra import pathfinder_explorer
