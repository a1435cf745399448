"""Optional dependencies and import helpers.

ssmlib's base install (numpy, scipy, matplotlib, sympy, ipywidgets, tqdm) covers
chapters 1-7. PyTorch (scans, the LRU, training: chapters 8-10) is the extra
``ssmlib[torch]``; Triton (the GPU scan kernel) is ``ssmlib[gpu]``. Code that needs
torch gets it through :func:`require_torch`, which turns a missing torch into an
``ImportError`` that says what to install.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

__all__ = ["TORCH_HINT", "CallableModule", "require_torch", "torch_missing_error"]

#: The install command printed when torch is missing.
TORCH_HINT = 'pip install "ssmlib[torch]"'


def torch_missing_error(what: str = "this part of ssmlib") -> ModuleNotFoundError:
    """The error raised when ``what`` needs torch and torch is not installed.

    A :class:`ModuleNotFoundError` (so an :class:`ImportError`) with ``name="torch"``,
    whose message gives the install command.
    """
    return ModuleNotFoundError(
        f"{what} needs PyTorch, which is not installed. Install it with: {TORCH_HINT}",
        name="torch",
    )


def require_torch(what: str = "this part of ssmlib") -> ModuleType:
    """Import and return ``torch``; raise :func:`torch_missing_error` when it is missing."""
    try:
        import torch
    except ModuleNotFoundError as exc:
        if exc.name != "torch":
            raise
        raise torch_missing_error(what) from exc
    return torch


class CallableModule(ModuleType):
    """A module that can be called: ``module(*args)`` calls ``module.<last name>(*args)``.

    ``ssmlib.scan`` is a subpackage holding a function of the same name. Its module
    gets this class so that ``import ssmlib.scan as S`` gives the module (with
    ``S.scan_chunked``, ``S.SCAN_BACKENDS``, ...) while ``sl.scan(lam, b)`` still calls
    the function :func:`ssmlib.scan.scan`.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return getattr(self, self.__name__.rpartition(".")[2])(*args, **kwargs)


def make_callable(module_name: str) -> None:
    """Give the (already imported) module ``module_name`` the class :class:`CallableModule`."""
    module = sys.modules[module_name]
    module.__class__ = CallableModule
    # Without this, ``module.__module__`` would be the class's ("ssmlib._lazy"), and Sphinx
    # autodoc would read the attribute docs (``#:`` comments) of the wrong source file.
    module.__module__ = module_name
