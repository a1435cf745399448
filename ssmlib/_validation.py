"""Input checks shared by every ssmlib module.

Every public function validates its arguments with these helpers so that bad
input fails early with a message that names the argument and says what was
expected, instead of silently producing garbage.
"""

from __future__ import annotations

from numbers import Real
from typing import Any

import numpy as np

__all__ = [
    "as_array",
    "as_square_matrix",
    "check_positive",
    "check_finite_scalar",
    "check_tensor",
    "as_rng",
    "check_int",
    "check_bool",
    "check_choice",
    "check_result",
]


def as_array(
    x: Any,
    name: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    complex_ok: bool = True,
    finite: bool = True,
) -> np.ndarray:
    """Convert ``x`` to a float or complex numpy array and validate it.

    Parameters
    ----------
    x : array_like
        The value to convert.
    name : str
        The argument's name, used in error messages.
    ndim : int or tuple of int, optional
        Allowed numbers of dimensions.
    complex_ok : bool
        If False, complex input raises ``TypeError``.
    finite : bool
        If True, NaN or infinite entries raise ``ValueError``.

    Returns
    -------
    numpy.ndarray
        ``float64`` or ``complex128`` array.
    """
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be a numeric array, got {type(x).__name__}")
    try:
        arr = np.asarray(x)
    except Exception as exc:  # pragma: no cover - numpy gives many messages
        raise TypeError(f"{name} must be array-like, got {type(x).__name__}") from exc
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or arr.dtype == bool
    ):
        raise TypeError(f"{name} must have a numeric dtype, got {arr.dtype}")
    if np.iscomplexobj(arr):
        if not complex_ok:
            raise TypeError(f"{name} must be real, got complex dtype {arr.dtype}")
        arr = arr.astype(np.complex128, copy=False)
    else:
        arr = arr.astype(np.float64, copy=False)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            raise ValueError(
                f"{name} must have {' or '.join(map(str, allowed))} dimension(s), "
                f"got shape {arr.shape}"
            )
    if finite and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values (no NaN or inf)")
    return arr


def as_square_matrix(x: Any, name: str, *, complex_ok: bool = True) -> np.ndarray:
    """Validate a square 2-D matrix with finite entries (see :func:`as_array`)."""
    arr = as_array(x, name, ndim=2, complex_ok=complex_ok)
    if arr.shape[0] != arr.shape[1] or arr.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty square matrix, got shape {arr.shape}")
    return arr


def check_finite_scalar(x: Any, name: str) -> float:
    """Return ``x`` as a finite Python float, or raise."""
    if isinstance(x, bool) or not isinstance(x, (Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a real number, got {type(x).__name__}")
    value = float(x)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def check_positive(x: Any, name: str, *, allow_zero: bool = False) -> float:
    """Return ``x`` as a float after checking it is finite and positive."""
    value = check_finite_scalar(x, name)
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}, got {value}")
    return value


def check_tensor(
    t: Any,
    name: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    dtypes: tuple | None = None,
    finite: bool = True,
):
    """Validate a torch tensor: type, number of dimensions, dtype and finiteness.

    Returns the tensor unchanged. Imports torch lazily so the numpy parts of
    ssmlib do not pay for it.
    """
    import torch

    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if t.ndim not in allowed:
            raise ValueError(
                f"{name} must have {' or '.join(map(str, allowed))} dimension(s), "
                f"got shape {tuple(t.shape)}"
            )
    if dtypes is not None and t.dtype not in dtypes:
        expected = ", ".join(str(d).replace("torch.", "") for d in dtypes)
        raise TypeError(f"{name} must have dtype in ({expected}), got {t.dtype}")
    if finite and t.numel() > 0:
        with torch.no_grad():
            ok = torch.isfinite(torch.view_as_real(t) if t.is_complex() else t).all()
        if not bool(ok):
            raise ValueError(f"{name} must contain only finite values (no NaN or inf)")
    return t


def check_int(x: Any, name: str, *, minimum: int | None = None,
              maximum: int | None = None) -> int:
    """Return ``x`` as a Python int after checking its type and range, or raise."""
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(x).__name__}")
    value = int(x)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_bool(x: Any, name: str) -> bool:
    """Return ``x`` as a bool if it is ``True``/``False`` (Python or numpy), or raise a
    TypeError naming ``name`` (a flag given a number, a string or an array is a mistake,
    not a truth value)."""
    if not isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(x).__name__}")
    return bool(x)


def check_choice(x: Any, name: str, choices: Any) -> str:
    """Return ``x`` if it is one of the strings ``choices``, or raise a TypeError (not a
    str) or ValueError (another str) naming ``name`` and listing the choices."""
    if not isinstance(x, str):
        raise TypeError(f"{name} must be one of {', '.join(map(repr, choices))}; "
                        f"got {type(x).__name__}")
    if x not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {x!r}")
    return x


#: Largest size (length, width, state size) accepted where a size is a count of elements:
#: beyond it an allocation cannot succeed on the machines this library targets.
MAX_SIZE = 2**26


def check_size(x: Any, name: str, minimum: int = 1, maximum: int = MAX_SIZE) -> int:
    """A size (an int in ``[minimum, maximum]``), or a TypeError/ValueError naming ``name``.

    The upper bound is a memory bound, and the message says so.
    """
    value = check_int(x, name, minimum=minimum)
    if value > maximum:
        raise ValueError(f"{name} must be <= {maximum} (memory), got {value}")
    return value


def as_rng(x: Any, name: str = "rng") -> np.random.Generator:
    """A numpy Generator from ``None``, a non-negative int seed or a Generator, or raise.

    The errors name the caller's argument instead of passing numpy's generic
    message through.
    """
    if isinstance(x, np.random.Generator):
        return x
    if x is None:
        return np.random.default_rng()
    if isinstance(x, np.random.SeedSequence):
        return np.random.default_rng(x)
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)):
        raise TypeError(f"{name} must be None, a non-negative int seed or a "
                        f"numpy.random.Generator, got {type(x).__name__}")
    if x < 0:
        raise ValueError(f"{name} must be a non-negative int seed, got {x}")
    return np.random.default_rng(int(x))


def check_result(x: np.ndarray, what: str, hint: str) -> np.ndarray:
    """Return ``x`` if every entry is finite; else raise ``ValueError`` (overflow).

    ``what`` names the computed quantity and the inputs that caused it; ``hint``
    says what to change. Finite input can overflow float64 (e.g. a huge step or
    an eigenvalue far outside the unit circle): report it instead of returning
    NaN or inf silently.
    """
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{what} overflows float64 (non-finite result): {hint}")
    return x
