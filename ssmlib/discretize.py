"""From continuous to discrete time: zero-order hold, bilinear and forward Euler (chapter 3).

For :math:`\\dot x = A x + B u` sampled with step :math:`\\Delta`:

* **zero-order hold** (exact when :math:`u` is constant on each step)

  .. math:: \\bar A = e^{A\\Delta}, \\qquad \\bar B = \\int_0^{\\Delta} e^{A\\tau}\\,d\\tau\\;B
            = A^{-1}(e^{A\\Delta} - I) B

  computed for any (even singular) :math:`A` from one block exponential
  :math:`\\exp\\big(\\Delta\\,[\\begin{smallmatrix}A & B\\\\ 0 & 0\\end{smallmatrix}]\\big)`;
* **bilinear** / Tustin (trapezoidal rule)

  .. math:: \\bar A = (I - \\tfrac{\\Delta}{2}A)^{-1}(I + \\tfrac{\\Delta}{2}A), \\qquad
            \\bar B = (I - \\tfrac{\\Delta}{2}A)^{-1}\\Delta B;

* **forward Euler**: :math:`\\bar A = I + \\Delta A`, :math:`\\bar B = \\Delta B`.

Two ways to call each method, and what they return:

* with matrices, ``zoh(A, B, dt)`` (also ``bilinear``, ``euler``) returns the pair of
  arrays ``(Ad, Bd)``, that is :math:`(\\bar A, \\bar B)`;
* with a system, ``zoh(system, dt)`` returns a :class:`~ssmlib.DiscreteStateSpace`,
  exactly ``discretize(system, dt, "zoh")``.

A *system* is a :class:`~ssmlib.StateSpace` or any object with a ``state_space()``
method, such as :class:`~ssmlib.SpringMassDamper`. Method names are
case-insensitive and include ``scipy.signal.cont2discrete``'s: ``"zoh"``,
``"bilinear"`` (or ``"tustin"``), ``"euler"`` (or ``"forward_diff"``).

:func:`discretize` also transforms ``C`` and ``D`` with the convention of
``scipy.signal.cont2discrete``: unchanged for ZOH and Euler; for bilinear
:math:`\\bar C = C (I - \\tfrac{\\Delta}{2}A)^{-1}` and :math:`\\bar D = D + \\tfrac12 C \\bar B`.
"""

from __future__ import annotations

from typing import Any, overload

import numpy as np
from scipy.linalg import expm

from ._validation import as_array, as_square_matrix, check_positive, check_result
from .statespace import DiscreteStateSpace, StateSpace

__all__ = ["zoh", "bilinear", "euler", "discretize", "zoh_diagonal", "METHOD_ALIASES", "canonical_method"]

#: Accepted spellings of each method (compared after ``.lower()``), scipy's names included.
METHOD_ALIASES: dict[str, str] = {
    "zoh": "zoh",
    "bilinear": "bilinear",
    "tustin": "bilinear",  # scipy's alias
    "euler": "euler",
    "forward_diff": "euler",  # scipy's alias
}
# Methods of scipy.signal.cont2discrete that the book does not implement.
_SCIPY_ONLY = ("gbt", "backward_diff", "foh", "impulse")


def canonical_method(method: Any, name: str = "method") -> str:
    """The canonical name (``"zoh"``, ``"bilinear"`` or ``"euler"``) of a discretization method.

    Accepts any case and the aliases in :data:`METHOD_ALIASES` (scipy's ``"tustin"``
    and ``"forward_diff"`` included).

    Raises
    ------
    TypeError
        If ``method`` is not a string.
    ValueError
        For an unknown name; the message lists the accepted ones and points
        scipy-only methods (``"foh"``, ``"backward_diff"``, ...) to
        ``scipy.signal.cont2discrete``.
    """
    if not isinstance(method, str):
        raise TypeError(f"{name} must be a string such as 'zoh', got {type(method).__name__}")
    key = method.strip().lower()
    if key in METHOD_ALIASES:
        return METHOD_ALIASES[key]
    accepted = ", ".join(repr(k) for k in METHOD_ALIASES)
    if key in _SCIPY_ONLY:
        raise ValueError(
            f"{name}={method!r} is a method of scipy.signal.cont2discrete that ssmlib does not "
            f"implement; use scipy.signal.cont2discrete((A, B, C, D), dt, method={key!r}), "
            f"or one of {accepted}"
        )
    raise ValueError(f"{name} must be one of {accepted} (any case), got {method!r}")


def _check_AB(A: Any, B: Any) -> tuple[np.ndarray, np.ndarray, bool]:
    """Validate A (n, n) and B (n, m) or (n,); return 2-D B and whether B was 1-D."""
    A = as_square_matrix(A, "A")
    B = as_array(B, "B", ndim=(1, 2))
    vector = B.ndim == 1
    B2 = B.reshape(-1, 1) if vector else B
    if B2.shape[0] != A.shape[0]:
        raise ValueError(f"B must have n={A.shape[0]} rows (one per state), got shape {B.shape}")
    return A, B2, vector


def _check_dt(dt: Any) -> float:
    return check_positive(dt, "dt")


def _as_system(system: Any, caller: str) -> StateSpace | None:
    """``system`` as a StateSpace, or None when it is not a system (e.g. a matrix)."""
    if isinstance(system, StateSpace):
        return system
    if isinstance(system, DiscreteStateSpace):
        raise TypeError(
            f"system is already discrete (a DiscreteStateSpace with dt={system.dt:g}); "
            f"{caller} needs a continuous-time StateSpace"
        )
    state_space = getattr(system, "state_space", None)
    if callable(state_space):
        converted = state_space()
        if not isinstance(converted, StateSpace):
            raise TypeError(
                f"system.state_space() must return a StateSpace, got {type(converted).__name__}"
            )
        return converted
    return None


_MISSING = object()


def _parse_call(caller: str, args: tuple, kwargs: dict) -> tuple[StateSpace | None, Any, Any, Any]:
    """Bind ``(system, dt)`` or ``(A, B, dt)``; return ``(system, A, B, dt)`` with the unused ones None."""
    unknown = sorted(set(kwargs) - {"system", "A", "B", "dt"})
    if unknown:
        raise TypeError(f"{caller}() got an unexpected keyword argument {unknown[0]!r}")
    first = args[0] if args else kwargs.get("system", kwargs.get("A", _MISSING))
    system = None
    if first is not _MISSING and "A" not in kwargs:
        system = _as_system(first, f"{caller}(system, dt)")
    if system is not None or "system" in kwargs:
        if "system" in kwargs and args:
            raise TypeError(f"{caller}() got multiple values for argument 'system'")
        if "A" in kwargs or "B" in kwargs:
            raise TypeError(f"{caller}(system, dt) takes no A or B: the system holds them")
        rest = list(args[1:])
        if len(rest) > 1:
            raise TypeError(
                f"{caller}(system, dt) takes 2 arguments, got {len(args)}; "
                f"for matrices call {caller}(A, B, dt)"
            )
        if rest and "dt" in kwargs:
            raise TypeError(f"{caller}() got multiple values for argument 'dt'")
        dt = rest[0] if rest else kwargs.get("dt", _MISSING)
        if dt is _MISSING:
            raise TypeError(f"{caller}(system, dt): missing dt (the step, > 0)")
        if system is None:  # system= given as keyword but not a system
            raise TypeError(
                "system must be a StateSpace or have a .state_space() method (e.g. "
                f"SpringMassDamper), got {type(kwargs['system']).__name__}"
            )
        return system, None, None, dt
    names = ("A", "B", "dt")
    if len(args) > 3:
        raise TypeError(f"{caller}(A, B, dt) takes 3 arguments, got {len(args)}")
    bound = dict(zip(names, args))
    for key in names:
        if key in kwargs:
            if key in bound:
                raise TypeError(f"{caller}() got multiple values for argument {key!r}")
            bound[key] = kwargs[key]
    missing = [key for key in names if key not in bound]
    if missing:
        hint = ""
        if missing == ["dt"]:
            hint = f" (the step, > 0); to discretize a system, call {caller}(system, dt)"
        raise TypeError(f"{caller}(A, B, dt): missing {', '.join(missing)}{hint}")
    return None, bound["A"], bound["B"], bound["dt"]


def _zoh_matrices(A: Any, B: Any, dt: Any) -> tuple[np.ndarray, np.ndarray]:
    A, B2, vector = _check_AB(A, B)
    dt = _check_dt(dt)
    n, m = B2.shape
    M = np.zeros((n + m, n + m), dtype=np.result_type(A, B2))
    M[:n, :n] = A
    M[:n, n:] = B2
    E = expm(dt * M)
    Ad, Bd = E[:n, :n], E[:n, n:]
    return Ad, (Bd[:, 0] if vector else Bd)


def _gbt(A: np.ndarray, B: np.ndarray, dt: float, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Generalized bilinear transform (alpha=0: forward Euler, 1/2: bilinear)."""
    n = A.shape[0]
    I = np.eye(n)
    ima = I - alpha * dt * A
    Ad = np.linalg.solve(ima, I + (1.0 - alpha) * dt * A)
    Bd = np.linalg.solve(ima, dt * B)
    return Ad, Bd


def _bilinear_matrices(A: Any, B: Any, dt: Any) -> tuple[np.ndarray, np.ndarray]:
    A, B2, vector = _check_AB(A, B)
    dt = _check_dt(dt)
    try:
        Ad, Bd = _gbt(A, B2, dt, 0.5)
    except np.linalg.LinAlgError as exc:
        raise ValueError("A: I - dt/2 A is singular (an eigenvalue equals 2/dt)") from exc
    return Ad, (Bd[:, 0] if vector else Bd)


def _euler_matrices(A: Any, B: Any, dt: Any) -> tuple[np.ndarray, np.ndarray]:
    A, B2, vector = _check_AB(A, B)
    dt = _check_dt(dt)
    Ad = np.eye(A.shape[0]) + dt * A
    Bd = dt * B2
    return Ad, (Bd[:, 0] if vector else Bd)


_MATRIX_RULES = {"zoh": _zoh_matrices, "bilinear": _bilinear_matrices, "euler": _euler_matrices}


def _dispatch(method: str, args: tuple, kwargs: dict):
    system, A, B, dt = _parse_call(method, args, kwargs)
    if system is not None:
        return discretize(system, dt, method)
    return _MATRIX_RULES[method](A, B, dt)


@overload
def zoh(system: Any, dt: float) -> DiscreteStateSpace: ...
@overload
def zoh(A: Any, B: Any, dt: float) -> tuple[np.ndarray, np.ndarray]: ...
def zoh(*args: Any, **kwargs: Any) -> Any:
    """Zero-order-hold discretization, exact for inputs held constant over each step.

    Call it with matrices, ``zoh(A, B, dt)``, or with a system, ``zoh(system, dt)``.

    Parameters
    ----------
    A : array_like, shape (N, N)
    B : array_like, shape (N, H) or (N,)
    system : StateSpace, or an object with ``.state_space()`` (e.g. SpringMassDamper)
        Instead of ``A`` and ``B``.
    dt : float, > 0
        Step :math:`\\Delta`.

    Returns
    -------
    (Ad, Bd) : tuple of ndarray, when called with ``A, B``
        ``Ad`` (N, N) is :math:`\\bar A = e^{A\\Delta}`; ``Bd``, of the shape of ``B``, is
        :math:`\\bar B = \\int_0^\\Delta e^{A\\tau} d\\tau\\, B`.
    DiscreteStateSpace, when called with a system
        Same as ``discretize(system, dt, "zoh")`` (``C`` and ``D`` unchanged).

    Raises
    ------
    TypeError
        For a missing argument (the message says which) or a discrete system.
    ValueError
        For bad shapes, non-finite entries or ``dt <= 0`` (the message names the argument).
    """
    return _dispatch("zoh", args, kwargs)


@overload
def bilinear(system: Any, dt: float) -> DiscreteStateSpace: ...
@overload
def bilinear(A: Any, B: Any, dt: float) -> tuple[np.ndarray, np.ndarray]: ...
def bilinear(*args: Any, **kwargs: Any) -> Any:
    """Bilinear (Tustin, trapezoidal) discretization.

    Call it with matrices, ``bilinear(A, B, dt)``, or with a system, ``bilinear(system, dt)``.

    Parameters
    ----------
    A : array_like, shape (N, N)
    B : array_like, shape (N, H) or (N,)
    system : StateSpace, or an object with ``.state_space()`` (e.g. SpringMassDamper)
        Instead of ``A`` and ``B``.
    dt : float, > 0
        Step :math:`\\Delta`.

    Returns
    -------
    (Ad, Bd) : tuple of ndarray, when called with ``A, B``
        ``Ad`` (N, N) is :math:`(I - \\tfrac{\\Delta}{2}A)^{-1}(I + \\tfrac{\\Delta}{2}A)`;
        ``Bd``, of the shape of ``B``, is :math:`(I - \\tfrac{\\Delta}{2}A)^{-1}\\Delta B`.
    DiscreteStateSpace, when called with a system
        Same as ``discretize(system, dt, "bilinear")`` (``C`` and ``D`` transformed
        as by ``scipy.signal.cont2discrete``).

    Raises
    ------
    ValueError
        When :math:`I - \\tfrac{\\Delta}{2}A` is singular (an eigenvalue :math:`s = 2/\\Delta`),
        and as for :func:`zoh`.
    """
    return _dispatch("bilinear", args, kwargs)


@overload
def euler(system: Any, dt: float) -> DiscreteStateSpace: ...
@overload
def euler(A: Any, B: Any, dt: float) -> tuple[np.ndarray, np.ndarray]: ...
def euler(*args: Any, **kwargs: Any) -> Any:
    """Forward Euler discretization: :math:`\\bar A = I + \\Delta A`, :math:`\\bar B = \\Delta B`.

    Call it with matrices, ``euler(A, B, dt)``, or with a system, ``euler(system, dt)``.

    Parameters
    ----------
    A : array_like, shape (N, N)
    B : array_like, shape (N, H) or (N,)
    system : StateSpace, or an object with ``.state_space()`` (e.g. SpringMassDamper)
        Instead of ``A`` and ``B``.
    dt : float, > 0
        Step :math:`\\Delta`.

    Returns
    -------
    (Ad, Bd) : tuple of ndarray, when called with ``A, B``
        ``Ad`` (N, N) and ``Bd`` of the shape of ``B``.
    DiscreteStateSpace, when called with a system
        Same as ``discretize(system, dt, "euler")`` (``C`` and ``D`` unchanged).
    """
    return _dispatch("euler", args, kwargs)


def discretize(system: Any, dt: float, method: str = "zoh") -> DiscreteStateSpace:
    """Discretize a continuous-time system with step ``dt``; always returns a system.

    Parameters
    ----------
    system : StateSpace, or an object with ``.state_space()``
        The continuous-time system; a :class:`~ssmlib.SpringMassDamper` is converted
        with its ``state_space()`` method.
    dt : float, > 0
        Step :math:`\\Delta`.
    method : str
        ``"zoh"`` (default), ``"bilinear"`` or ``"euler"``, in any case; scipy's
        names ``"tustin"`` and ``"forward_diff"`` are accepted too
        (:data:`METHOD_ALIASES`). See the module docstring. ``C`` and ``D`` follow
        ``scipy.signal.cont2discrete``.

    Returns
    -------
    DiscreteStateSpace
        With ``dt`` recorded. (For the matrices alone, call ``zoh(A, B, dt)``,
        ``bilinear(A, B, dt)`` or ``euler(A, B, dt)``: they return ``(Ad, Bd)``.)

    Raises
    ------
    TypeError
        If ``system`` is not a continuous-time system (the message says what to call).
    ValueError
        For ``dt <= 0`` or an unknown ``method``.
    """
    converted = _as_system(system, "discretize")
    if converted is None:
        if isinstance(system, (tuple, list)):
            hint = ("; for matrices call sl.discretize(sl.StateSpace(A, B, C, D), dt) "
                    "or sl.zoh(A, B, dt) (returns (Ad, Bd))")
        else:
            hint = "; wrap matrices with sl.StateSpace(A, B, C, D)"
        raise TypeError(
            "system must be a StateSpace or an object with a .state_space() method "
            f"(e.g. SpringMassDamper), got {type(system).__name__}{hint}"
        )
    system = converted
    dt = _check_dt(dt)
    method = canonical_method(method)
    A, B, C, D = system.A, system.B, system.C, system.D
    Ad, Bd = _MATRIX_RULES[method](A, B, dt)
    if method == "bilinear":
        # Output equation: C_d = C (I - dt/2 A)^{-1}, D_d = D + C B_d / 2 (scipy's convention).
        ima = np.eye(system.n) - 0.5 * dt * A
        Cd = np.linalg.solve(ima.T, C.T).T
        Dd = D + 0.5 * (C @ Bd)
    else:
        Cd, Dd = C, D
    return DiscreteStateSpace(Ad, Bd, Cd, Dd, dt)


def zoh_diagonal(lam: Any, B: Any, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Zero-order hold for a diagonal system :math:`\\dot x_n = s_n x_n + (Bu)_n`.

    Elementwise, :math:`\\lambda_n = e^{s_n\\Delta}` and
    :math:`\\bar B_n = \\frac{e^{s_n\\Delta} - 1}{s_n} B_n` (row :math:`n` of :math:`B`), with
    the limit :math:`\\Delta B_n` at :math:`s_n = 0`. The factor is evaluated as
    :math:`\\Delta\\,\\mathrm{expm1}(s\\Delta)/(s\\Delta)` so it stays accurate when
    :math:`|s\\Delta|` is tiny.

    Parameters
    ----------
    lam : array_like, shape (N,), complex, N >= 1
        The *continuous-time* eigenvalues :math:`s_n`, the diagonal of :math:`S = A`.
        (The argument keeps the name ``lam`` for backward compatibility.)
    B : array_like, shape (N,) or (N, H)
        Input matrix (or vector).
    dt : float, > 0
        Step :math:`\\Delta`.

    Returns
    -------
    lam_bar : ndarray, shape (N,), complex128
        The discrete-time eigenvalues :math:`\\lambda_n = e^{s_n\\Delta}`, the diagonal of
        :math:`\\Lambda = \\bar A`.
    B_bar : ndarray, same shape as ``B``, complex128
        :math:`\\bar B`.

    Raises
    ------
    ValueError
        For an empty ``lam``, shapes that do not match, ``dt <= 0``, or a result that overflows
        (``Re(lam) * dt`` too large).
    """
    lam = as_array(lam, "lam", ndim=1).astype(np.complex128)
    if lam.shape[0] == 0:
        raise ValueError("lam must hold at least one eigenvalue, got shape (0,)")
    B = as_array(B, "B", ndim=(1, 2))
    if B.shape[0] != lam.shape[0]:
        raise ValueError(f"B must have n={lam.shape[0]} rows (one per eigenvalue), got shape {B.shape}")
    dt = _check_dt(dt)
    z = lam * dt
    small = z == 0
    safe = np.where(small, 1.0, z)
    with np.errstate(over="ignore", invalid="ignore"):
        factor = np.where(small, dt, dt * np.expm1(safe) / safe)  # (e^{s dt} - 1) / s, s = lam
        lam_bar = np.exp(z)
        B_bar = (factor[:, None] * B) if B.ndim == 2 else factor * B
    hint = "lower Re(lam) * dt (|exp(lam dt)| overflows) or the size of B"
    check_result(lam_bar, "zoh_diagonal's exp(lam * dt) for lam and dt", hint)
    check_result(B_bar, "zoh_diagonal's B_bar for lam, B and dt", hint)
    return lam_bar, B_bar.astype(np.complex128)


# ``import ssmlib.discretize as D`` gives this module; calling it,
# ``sl.discretize(system, dt)``, calls the function :func:`discretize`.
from ._lazy import make_callable as _make_callable  # noqa: E402

_make_callable(__name__)
