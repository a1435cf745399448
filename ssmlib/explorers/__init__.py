"""Slider UIs for the chapters, one module per chapter group.

Each builder returns a :class:`ssmlib.widgets.Explorer`; a chapter calls
``.show()`` on it, and the tests drive it from code.
"""

from __future__ import annotations

# One import line per module (each chapter group adds its own).
