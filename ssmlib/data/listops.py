"""ListOps: nested list operations on single digits (Long Range Arena, chapter 11).

A ListOps sample is a prefix expression over the digits 0-9 with four operators
(Nangia and Bowman 2018; the LRA version of Tay et al. 2021)::

    [MAX 4 3 [MIN 2 3 ] 1 0 [MED 1 5 8 9 2 ] ]   ->   5

* ``[MIN`` / ``[MAX``: smallest / largest argument,
* ``[MED``: median of the arguments, truncated to an integer (``int(np.median(...))``),
* ``[SM``: sum of the arguments modulo 10,

and ``]`` closes the innermost open operator. The label is the value of the whole
expression, one of 10 classes.

Generator
---------
:func:`generate_listops` follows the official LRA generator,
``lra_benchmarks/data/listops.py`` in google-research/long-range-arena (read at
commit ``cd31e5c``): a node at depth below ``max_depth`` (the root has depth 1) is
an operator with probability ``operator_prob`` (the generator's ``VALUE_P = 0.25``),
otherwise a digit drawn uniformly from 0-9; an operator takes
``randint(2, max_args)`` arguments (``max_args = 10``, ``max_depth = 10``). The
*length* of a tree counts operators, digits and closing brackets (the
generator's ``length``; the tokens kept by :class:`ListOpsTokenizer`); a tree is
kept only if ``min_length < length < max_length`` (defaults 500 and 2000), and
samples are de-duplicated (the generator collects distinct trees in a set before
splitting them into train/val/test). The order of random draws differs (this
module draws the operator before its arguments), so the same seed does not
reproduce the release files, only their distribution.

The LRA text format wraps every operator application in parentheses, as a
left-nested binary tree::

    ( ( ( [MAX 2 ) 9 ) ] )   is   [MAX 2 9 ]

:func:`to_lra_string` writes that format, so generated data can be written to
the official TSV layout (``basic_{train,val,test}.tsv``, header ``Source\\tTarget``)
and read back with :func:`load_listops_tsv`.

The bracket bug, and how the tokenizer handles brackets
-------------------------------------------------------
The structure of an expression lives in its brackets: ``[MAX 1 [MIN 5 6 ] 7 ]``
(= 7) and ``[MAX 1 [MIN 5 6 7 ] ]`` (= 5) differ only in where ``]`` sits. The
history of the official input pipeline, ``lra_benchmarks/listops/input_pipeline.py``
in google-research/long-range-arena, shows the bug: up to commit ``ad0ff01`` it
tokenized with ``tfds.deprecated.text.Tokenizer()``, which splits on
non-alphanumeric characters and so drops ``[`` and ``]`` (and cut inputs at
``max_length=512``); commit ``c209b2a`` (4 March 2021) renames ``]`` to ``X``
before a whitespace tokenizer, with the comment "we rename close brackets to X
for this particular task because tokenizer removes non alphanumeric", removes
``(`` and ``)``, and cuts at 2000 tokens. Without ``]`` the nesting, hence the
label, is undetermined: no model can then solve the task, whatever its
architecture. :class:`ListOpsTokenizer` therefore
keeps ``[MIN``, ``[MAX``, ``[MED``, ``[SM`` as single tokens (operator and
opening bracket together) and ``]`` as a token of its own. The parentheses
``(`` and ``)`` are redundant given these (they only encode the left-nested
binary form of the same tree), so they are dropped by default
(``keep_parens=False``), as the official pipeline does; they stay in the vocabulary so
``keep_parens=True`` gives the raw LRA token stream. Tests check that the label
computed from the parenthesis-free token stream equals the label of the tree.
"""

from __future__ import annotations

import math
import operator
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence, Union

import numpy as np

from .._validation import check_bool, check_choice, check_int

__all__ = [
    "OPERATORS",
    "VOCAB",
    "ListOpsTokenizer",
    "generate_tree",
    "tree_value",
    "tree_length",
    "to_lra_string",
    "evaluate",
    "generate_listops",
    "write_listops_tsv",
    "load_listops_tsv",
    "load_listops",
    "ListOpsDataset",
    "UnreachableWindowError",
    "MAX_TREE_TOKENS",
    "MAX_TREE_DEPTH",
]

#: Operator tokens (operator fused with its opening bracket), as in the LRA files.
OPERATORS = ("[MIN", "[MAX", "[MED", "[SM")
END = "]"
DIGITS = tuple(str(d) for d in range(10))
#: Vocabulary: index 0 is padding; the parentheses are present but unused by default.
VOCAB = ("<pad>",) + DIGITS + OPERATORS + (END, "(", ")")

#: Largest number of samples :func:`generate_listops` draws in one call.
_MAX_SAMPLES = 1_000_000
#: Largest tree (in tokens: operators, digits and ``]``) that :func:`generate_tree`
#: builds and that :func:`tree_value`, :func:`tree_length` and :func:`to_lra_string`
#: accept; the LRA trees have fewer than 2000.
MAX_TREE_TOKENS = 1_000_000
#: Largest ``max_depth`` of the generator and depth of a tree accepted by the tree
#: functions (they recurse once per level).
MAX_TREE_DEPTH = 100
#: Largest ``max_args`` (children of one operator) of the generator.
MAX_ARGS = 1000

# A tree is either an int (a digit) or a tuple (operator, [children...]).
Tree = Union[int, tuple]


def _apply(op: str, args: Sequence[int]) -> int:
    """Value of one operator applied to its (already evaluated) arguments."""
    if len(args) == 0:
        raise ValueError(f"operator {op} has no arguments")
    if op == "[MIN":
        return int(min(args))
    if op == "[MAX":
        return int(max(args))
    if op == "[MED":
        return int(np.median(args))  # truncation, as in the LRA generator
    if op == "[SM":
        return int(sum(args) % 10)
    raise ValueError(f"unknown operator {op!r}; expected one of {OPERATORS}")


class _TooLong(Exception):
    """Raised inside the generator once a tree exceeds its length budget."""


class UnreachableWindowError(ValueError, RuntimeError):
    """:func:`generate_listops` cannot find enough trees in the length window.

    A ``ValueError`` (the arguments ask for the impossible or the very unlikely); also a
    ``RuntimeError``, which earlier versions raised, so existing handlers keep working.
    """


def _path_arg(x: Any, name: str) -> Path:
    """``Path(x)`` for a str or os.PathLike, or a TypeError naming ``name``."""
    if not isinstance(x, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (str or os.PathLike), got {type(x).__name__}")
    return Path(x)


def _check_index(i: Any, n: int, what: str) -> int:
    """A sequence index ``i`` for ``n`` items (Python semantics: ``-n <= i < n``)."""
    if isinstance(i, (bool, np.bool_)):
        raise TypeError(f"{what} index i must be an int, got bool")
    try:
        i = operator.index(i)
    except TypeError:
        raise TypeError(f"{what} index i must be an int, got {type(i).__name__}") from None
    if not -n <= i < n:
        raise IndexError(f"{what} index i={i} out of range for {n} items "
                         f"(valid: {-n} <= i < {n})")
    return i


def generate_tree(
    rng: random.Random | np.random.Generator | int | None,
    *,
    max_depth: int = 10,
    max_args: int = 10,
    operator_prob: float = 0.25,
    depth: int = 1,
    _budget: list[int] | None = None,
) -> Tree:
    """Draw one random ListOps tree (LRA generator).

    A node at ``depth < max_depth`` is an operator with probability
    ``operator_prob``, with a uniform number of children in ``2..max_args``; otherwise
    (and always at ``max_depth``) it is a digit drawn uniformly from 0-9.

    Parameters
    ----------
    rng : random.Random, numpy.random.Generator, int or None
        Randomness. Scalar draws use :class:`random.Random` (much faster than
        numpy for one number at a time); a numpy generator or an int seeds one.
    max_depth : int
        Depth of the deepest operator plus one, in ``[1, 100]`` (LRA: 10).
    max_args : int
        Largest number of children of an operator, in ``[2, 1000]`` (LRA: 10).
    operator_prob : float
        Probability in ``[0, 1]`` that a node above ``max_depth`` is an operator
        (LRA: 0.25).
    depth : int
        Depth of the node drawn, in ``[1, max_depth]`` (1: the root).

    Returns
    -------
    tree : int or tuple
        A digit, or ``(operator, [child, ...])``.

    Raises
    ------
    ValueError
        If the expected size of the tree, ``sum(m**k for k < max_depth - depth + 1)``
        nodes with ``m = operator_prob * (2 + max_args) / 2`` children per node on
        average, exceeds :data:`MAX_TREE_TOKENS` (one million), or if a drawn tree
        grows beyond that many tokens (the LRA defaults give about 110 nodes on
        average, and such a tree in practice never). The work of a call is so
        bounded by a million nodes.
    """
    if _budget is None:  # public call: validate (internal recursive calls are checked)
        max_depth, max_args, operator_prob, depth = _check_tree_args(
            max_depth, max_args, operator_prob, depth)
        _budget = [MAX_TREE_TOKENS]
        _public = True
    else:
        _public = False
    if not isinstance(rng, random.Random):
        rng = _python_rng(rng, "rng")
    if _public:
        try:
            return _draw_tree(rng, max_depth, max_args, operator_prob, depth, _budget)
        except _TooLong:
            raise ValueError(
                f"generate_tree: the tree grew beyond {MAX_TREE_TOKENS} tokens "
                f"(max_depth={max_depth}, max_args={max_args}, operator_prob={operator_prob}); "
                "lower operator_prob, max_args or max_depth") from None
    return _draw_tree(rng, max_depth, max_args, operator_prob, depth, _budget)


def _check_tree_args(max_depth: Any, max_args: Any, operator_prob: Any,
                     depth: Any) -> tuple[int, int, float, int]:
    """Validate the generator parameters of :func:`generate_tree` (naming them)."""
    max_depth = check_int(max_depth, "max_depth", minimum=1, maximum=MAX_TREE_DEPTH)
    max_args = check_int(max_args, "max_args", minimum=2, maximum=MAX_ARGS)
    if isinstance(operator_prob, (bool, np.bool_)) or not isinstance(
            operator_prob, (int, float, np.integer, np.floating)):
        raise TypeError(f"operator_prob must be a real number, got {type(operator_prob).__name__}")
    operator_prob = float(operator_prob)
    if not 0.0 <= operator_prob <= 1.0:  # also refuses NaN
        raise ValueError(f"operator_prob must be a probability in [0, 1], got {operator_prob}")
    depth = check_int(depth, "depth", minimum=1, maximum=max_depth)
    m = operator_prob * (2 + max_args) / 2  # mean number of children of a node
    expected, level = 0.0, 1.0
    for _ in range(max_depth - depth + 1):
        expected += level
        level *= m
        if expected > MAX_TREE_TOKENS:
            raise ValueError(
                f"generate_tree: max_depth={max_depth}, max_args={max_args} and "
                f"operator_prob={operator_prob} give trees of more than {MAX_TREE_TOKENS} "
                "nodes on average; lower operator_prob, max_args or max_depth")
    return max_depth, max_args, operator_prob, depth


def _draw_tree(rng: random.Random, max_depth: int, max_args: int, operator_prob: float,
               depth: int, _budget: list[int]) -> Tree:
    """The recursion of :func:`generate_tree` (arguments already validated)."""
    # _budget (internal): [tokens left]; generation stops early with _TooLong once a
    # tree is sure to be rejected by the length window. Rejected trees are discarded
    # anyway, so this changes the running time, not the distribution of kept trees.
    if depth < max_depth and rng.random() < operator_prob:
        n_args = rng.randint(2, max_args)  # inclusive bounds: 2..max_args
        op = OPERATORS[rng.randrange(len(OPERATORS))]
        if _budget is not None:
            _budget[0] -= 2
            if _budget[0] < 0:
                raise _TooLong
        children = [
            _draw_tree(rng, max_depth, max_args, operator_prob, depth + 1, _budget)
            for _ in range(n_args)
        ]
        return (op, children)
    if _budget is not None:
        _budget[0] -= 1
        if _budget[0] < 0:
            raise _TooLong
    return rng.randrange(10)


def _python_rng(seed: Any, name: str = "seed") -> random.Random:
    """A :class:`random.Random` seeded from an int, None or a numpy generator."""
    if isinstance(seed, np.random.Generator):
        seed = int(seed.integers(2**62))
    elif seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise TypeError(f"{name} must be None, an int or a numpy.random.Generator, "
                        f"got {type(seed).__name__}")
    elif seed is not None and seed < 0:
        raise ValueError(f"{name} must be a non-negative int, got {seed}")
    return random.Random(None if seed is None else int(seed))


def _check_tree(tree: Any, name: str = "tree") -> int:
    """Validate a tree without recursion and return its length (tokens without parens).

    A tree is a digit 0-9 (an int, not a bool) or a pair ``(operator, children)``
    with ``operator`` in :data:`OPERATORS` and ``children`` a non-empty list or
    tuple of trees. Trees deeper than :data:`MAX_TREE_DEPTH` levels or longer than
    :data:`MAX_TREE_TOKENS` tokens are refused (the tree functions recurse once per
    level; a tree sharing sub-lists, or containing itself, is caught by these bounds).
    """
    length = 0
    stack: list[tuple[Any, str, int]] = [(tree, name, 1)]
    while stack:
        node, where, depth = stack.pop()
        if isinstance(node, (int, np.integer)) and not isinstance(node, (bool, np.bool_)):
            if not 0 <= node <= 9:
                raise ValueError(f"{name} must hold digits 0-9 as leaves; {where} is {node}")
            length += 1
        elif isinstance(node, (tuple, list)):
            if len(node) != 2:
                raise TypeError(f"{name} must be a digit or an (operator, [subtrees]) pair; "
                                f"{where} is a {type(node).__name__} of length {len(node)}")
            op, children = node
            if not isinstance(op, str):
                raise TypeError(f"{name}: the operator {where}[0] must be a str, "
                                f"got {type(op).__name__}")
            if op not in OPERATORS:
                raise ValueError(f"{name}: unknown operator {op!r} at {where}[0]; expected "
                                 f"one of {OPERATORS}")
            if not isinstance(children, (list, tuple)):
                raise TypeError(f"{name}: the arguments {where}[1] must be a list of "
                                f"subtrees, got {type(children).__name__}")
            if len(children) == 0:
                raise ValueError(f"{name}: operator {op} at {where} has no arguments")
            if depth >= MAX_TREE_DEPTH:
                raise ValueError(f"{name} is deeper than {MAX_TREE_DEPTH} levels")
            length += 2
            stack.extend((c, f"{where}[1][{k}]", depth + 1) for k, c in enumerate(children))
        else:
            raise TypeError(f"{name} must be a digit 0-9 (int) or an (operator, [subtrees]) "
                            f"pair; {where} is a {type(node).__name__}")
        if length > MAX_TREE_TOKENS:
            raise ValueError(f"{name} has more than {MAX_TREE_TOKENS} tokens")
    return length


def tree_value(tree: Tree) -> int:
    """Evaluate a tree recursively: the label of the sample.

    Parameters
    ----------
    tree : int or tuple
        A digit 0-9, or ``(operator, [subtree, ...])`` with an operator of
        :data:`OPERATORS` and at least one subtree; at most 100 levels deep and
        one million tokens long.

    Raises
    ------
    TypeError, ValueError
        For anything else (the message names ``tree`` and the faulty node).
    """
    _check_tree(tree)
    return _tree_value(tree)


def _tree_value(tree: Tree) -> int:
    if isinstance(tree, (int, np.integer)):
        return int(tree)
    op, children = tree
    return _apply(op, [_tree_value(c) for c in children])


def tree_length(tree: Tree) -> int:
    """Number of tokens without parentheses: operators, digits and ``]``.

    ``tree`` is checked as in :func:`tree_value`.
    """
    return _check_tree(tree)


def _tree_length(tree: Tree) -> int:
    if isinstance(tree, (int, np.integer)):
        return 1
    return 2 + sum(_tree_length(c) for c in tree[1])


def to_lra_string(tree: Tree, parens: bool = True) -> str:
    """Write a tree in the LRA text format.

    With ``parens=True`` (the release files), ``(op a b c)`` becomes the
    left-nested ``( ( ( op a ) b ) c ) ]`` wrapped in one more pair:
    ``( ( ( ( [MAX a ) b ) c ) ] )``. With ``parens=False`` the plain prefix form
    ``[MAX a b c ]``. ``tree`` is checked as in :func:`tree_value`.
    """
    _check_tree(tree)
    parens = check_bool(parens, "parens")
    return _to_lra_string(tree, parens)


def _to_lra_string(tree: Tree, parens: bool) -> str:
    if isinstance(tree, (int, np.integer)):
        return str(int(tree))
    op, children = tree
    if not parens:
        return " ".join([op] + [_to_lra_string(c, False) for c in children] + [END])
    s = f"( {op} {_to_lra_string(children[0], True)} )"
    for c in children[1:]:
        s = f"( {s} {_to_lra_string(c, True)} )"
    return f"( {s} {END} )"


def evaluate(source: str | Sequence[str]) -> int:
    """Evaluate a ListOps expression given as text or tokens (stack machine).

    Parentheses are ignored; the structure is carried by the operator tokens and
    ``]``.

    Parameters
    ----------
    source : str or sequence of str
        E.g. ``"[MAX 2 9 [MIN 4 7 ] 0 ]"`` or an LRA source with parentheses.

    Returns
    -------
    int
        The value, in 0-9.

    Raises
    ------
    ValueError
        For an unknown token, an unbalanced ``]``, an operator without
        arguments, or an expression that is not exactly one value.
    """
    if isinstance(source, str):
        tokens = source.split()
    elif isinstance(source, (list, tuple)) and all(isinstance(t, str) for t in source):
        tokens = list(source)
    else:
        raise TypeError(f"source must be a str or a sequence of str tokens, "
                        f"got {type(source).__name__}")
    stack: list[tuple[str, list[int]]] = []
    result: int | None = None
    for tok in tokens:
        if tok in ("(", ")"):
            continue
        if tok in OPERATORS:
            if result is not None:
                raise ValueError("source: tokens after the end of the expression")
            stack.append((tok, []))
        elif tok == END:
            if not stack:
                raise ValueError("source: unbalanced ']' (no open operator)")
            op, args = stack.pop()
            value = _apply(op, args)
            if stack:
                stack[-1][1].append(value)
            else:
                result = value
        elif tok in DIGITS:
            if stack:
                stack[-1][1].append(int(tok))
            elif result is None and len(tokens) == 1:
                result = int(tok)
            else:
                raise ValueError(f"source: digit {tok!r} outside any operator")
        else:
            raise ValueError(f"source: unknown token {tok!r}")
    if stack:
        raise ValueError(f"source: {len(stack)} operator(s) not closed by ']'")
    if result is None:
        raise ValueError("source: empty expression")
    return result


class ListOpsTokenizer:
    """Map ListOps text to integer token ids (see the module docstring on brackets).

    Parameters
    ----------
    keep_parens : bool
        Keep ``(`` and ``)`` as tokens (the raw LRA stream) instead of dropping
        them (default; they are redundant).

    Attributes
    ----------
    vocab : tuple of str
        :data:`VOCAB`; id 0 is padding.
    """

    def __init__(self, keep_parens: bool = False) -> None:
        self.keep_parens = check_bool(keep_parens, "keep_parens")
        self.vocab = VOCAB
        self.index = {tok: i for i, tok in enumerate(VOCAB)}
        self.pad_id = 0

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def encode(self, source: str) -> np.ndarray:
        """Token ids of ``source``, shape (L,), int64.

        Raises
        ------
        ValueError
            For a token outside the vocabulary (naming it).
        """
        if not isinstance(source, str):
            raise TypeError(f"source must be a str, got {type(source).__name__}")
        ids = []
        for tok in source.split():
            if tok in ("(", ")") and not self.keep_parens:
                continue
            if tok not in self.index or tok == "<pad>":
                raise ValueError(f"source: unknown ListOps token {tok!r}")
            ids.append(self.index[tok])
        return np.asarray(ids, dtype=np.int64)

    def decode(self, ids: Iterable[int]) -> str:
        """Inverse of :meth:`encode`; padding ids are skipped.

        Raises
        ------
        ValueError
            For an id outside ``[0, vocab_size)`` (naming it).
        """
        out = []
        if isinstance(ids, (str, bytes)) or not hasattr(ids, "__iter__"):
            raise TypeError(f"ids must be an iterable of int token ids, got {type(ids).__name__}")
        for i in ids:
            if isinstance(i, bool):
                raise TypeError("ids must be integers, got bool")
            try:
                i = operator.index(i)
            except TypeError:
                raise TypeError(f"ids must be integers, got {type(i).__name__}") from None
            if not 0 <= i < self.vocab_size:
                raise ValueError(f"ids: token id {i} outside the vocabulary "
                                 f"[0, vocab_size={self.vocab_size})")
            if i != self.pad_id:
                out.append(self.vocab[i])
        return " ".join(out)


def generate_listops(
    n: int,
    *,
    min_length: int = 500,
    max_length: int = 2000,
    max_depth: int = 10,
    max_args: int = 10,
    operator_prob: float = 0.25,
    seed: int | np.random.Generator | None = 0,
    exclude: Iterable[str] = (),
    max_tries: int | None = None,
) -> list[tuple[str, int]]:
    """Generate ``n`` distinct ListOps samples in the LRA text format.

    Trees are drawn with :func:`generate_tree` until ``n`` distinct sources with
    ``min_length < length < max_length`` (tokens without parentheses) are found.

    Parameters
    ----------
    n : int
        Number of samples.
    min_length, max_length : int
        Open length window (LRA: 500 and 2000). Shorter windows (e.g. 50-200)
        make CPU-sized experiments.
    max_depth, max_args, operator_prob
        Generator parameters (LRA: 10, 10, 0.25).
    seed : int, numpy.random.Generator or None
        Randomness (the same seed gives the same samples).
    exclude : iterable of str
        Sources that must not be produced (e.g. the training set, when drawing
        held-out data), so splits do not overlap.
    max_tries : int, optional
        Give up after this many trees (default ``1000 * n + 10000``).

    Returns
    -------
    list of (source, label)
        ``source`` with parentheses (as in the release files), ``label`` in 0-9.

    Raises
    ------
    UnreachableWindowError
        (a ``ValueError``, and a ``RuntimeError`` as before) If no tree drawn with
        ``max_depth``, ``max_args`` and ``operator_prob`` can have a length in the
        window (checked before drawing: e.g. ``operator_prob=0`` gives only single
        digits, ``operator_prob=1`` only trees filled down to ``max_depth``), or if
        fewer than ``n`` samples were found after ``max_tries`` trees.
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
        raise ValueError(f"n must be a non-negative int, got {n!r}")
    if n > _MAX_SAMPLES:
        raise ValueError(f"n must be <= {_MAX_SAMPLES} (the LRA release has 100000), got {n}")
    for name, value in (("min_length", min_length), ("max_length", max_length),
                        ("max_depth", max_depth), ("max_args", max_args)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if min_length < 0 or max_length <= min_length + 1:
        raise ValueError(
            f"need 0 <= min_length and min_length + 1 < max_length, got {min_length}, {max_length}"
        )
    if max_length > 1_000_000:
        raise ValueError(f"max_length must be <= 1000000, got {max_length}")
    if not 1 <= max_depth <= 100:  # recursion depth of the generator
        raise ValueError(f"max_depth must be in [1, 100], got {max_depth}")
    if not 2 <= max_args <= 1000:
        raise ValueError(f"max_args must be in [2, 1000], got {max_args}")
    if isinstance(operator_prob, bool) or not isinstance(operator_prob, (int, float, np.floating)):
        raise TypeError(f"operator_prob must be a real number, got {type(operator_prob).__name__}")
    if not 0.0 <= operator_prob <= 1.0:
        raise ValueError(f"operator_prob must be in [0, 1], got {operator_prob}")
    if max_tries is not None:
        if isinstance(max_tries, bool) or not isinstance(max_tries, (int, np.integer)):
            raise TypeError(f"max_tries must be an int or None, got {type(max_tries).__name__}")
        if max_tries < 1:
            raise ValueError(f"max_tries must be >= 1, got {max_tries}")
    if isinstance(exclude, (str, bytes)):
        raise TypeError("exclude must be an iterable of source strings, not a single str")
    if not hasattr(exclude, "__iter__"):
        raise TypeError(f"exclude must be an iterable of source strings, "
                        f"got {type(exclude).__name__}")
    seen = set()
    for item in exclude:
        if not isinstance(item, str):
            raise TypeError(f"exclude must contain source strings, got {type(item).__name__}")
        seen.add(item)
    if not math.isfinite(operator_prob):
        raise ValueError(f"operator_prob must be in [0, 1], got {operator_prob}")
    shortest, longest = _length_range(max_depth, max_args, operator_prob)
    if n > 0 and (longest <= min_length or shortest >= max_length):
        raise UnreachableWindowError(
            f"generate_listops cannot produce samples: with max_depth={max_depth}, "
            f"max_args={max_args} and operator_prob={operator_prob} every tree has between "
            f"{shortest} and {longest} tokens, outside the window min_length={min_length} < "
            f"length < max_length={max_length}; change operator_prob, min_length, max_length "
            "or max_depth")
    rng = _python_rng(seed)
    out: list[tuple[str, int]] = []
    tries = 0
    limit = max_tries if max_tries is not None else 1000 * n + 10000
    while len(out) < n:
        if tries >= limit:
            raise UnreachableWindowError(
                f"generate_listops: only {len(out)} of {n} samples after {tries} trees "
                f"(max_tries); the window min_length={min_length} < length < "
                f"max_length={max_length} is rarely reached with max_depth={max_depth}, "
                f"max_args={max_args} and operator_prob={operator_prob} (or exclude holds "
                "most of the trees it allows); widen the length window or change "
                "operator_prob or max_depth"
            )
        tries += 1
        try:
            tree = generate_tree(rng, max_depth=max_depth, max_args=max_args,
                                 operator_prob=operator_prob, _budget=[max_length - 1])
        except _TooLong:
            continue
        length = _tree_length(tree)
        if not (min_length < length < max_length):
            continue
        source = _to_lra_string(tree, True)
        if source in seen:
            continue
        seen.add(source)
        out.append((source, _tree_value(tree)))
    return out


def _length_range(max_depth: int, max_args: int, operator_prob: float) -> tuple[int, int]:
    """Shortest and longest possible tree length (tokens without parentheses)."""
    full_min, full_max = 1, 1  # trees with an operator at every depth < max_depth
    for _ in range(max_depth - 1):
        full_min, full_max = 2 + 2 * full_min, 2 + max_args * full_max
        if full_min > 10**7:
            break
    shortest = 1 if operator_prob < 1 else full_min
    longest = 1 if operator_prob == 0 else full_max
    return shortest, longest


def write_listops_tsv(path: str | os.PathLike, samples: Iterable[tuple[str, int]]) -> Path:
    """Write samples in the release format: header ``Source\\tTarget``, one row each (UTF-8).

    Raises
    ------
    TypeError, ValueError
        For a sample that is not ``(str, int)``, a source with a tab or newline,
        or a label outside 0-9 (naming the sample's index). Nothing is written
        then.
    """
    path = _path_arg(path, "path")
    if isinstance(samples, (str, bytes)) or not hasattr(samples, "__iter__"):
        raise TypeError(f"samples must be an iterable of (source, label) pairs, "
                        f"got {type(samples).__name__}")
    rows = []
    for k, sample in enumerate(samples):
        if not isinstance(sample, (tuple, list)) or len(sample) != 2:
            raise TypeError(f"samples[{k}] must be a (source, label) pair")
        source, label = sample
        if not isinstance(source, str):
            raise TypeError(f"samples[{k}]: source must be a str, got {type(source).__name__}")
        if "\t" in source or "\n" in source or "\r" in source:
            raise ValueError(f"samples[{k}]: source contains a tab or newline")
        if isinstance(label, bool) or not isinstance(label, (int, np.integer)):
            raise TypeError(f"samples[{k}]: label must be an int, got {type(label).__name__}")
        if not 0 <= label <= 9:
            raise ValueError(f"samples[{k}]: label {label} outside 0-9")
        rows.append(f"{source}\t{int(label)}\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("Source\tTarget\n")
        f.writelines(rows)
    return path


def load_listops_tsv(path: str | os.PathLike) -> list[tuple[str, int]]:
    """Read one release file (``basic_train.tsv`` etc.).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        For a wrong header, a row without exactly two fields, a target that is
        not an integer in 0-9, invalid UTF-8 or a token outside the ListOps
        vocabulary (the message gives the file and line number).

    Notes
    -----
    The file is read as UTF-8; a leading byte-order mark is accepted.
    """
    path = _path_arg(path, "path")
    if not path.is_file():
        raise FileNotFoundError(f"ListOps file not found: {path}")
    out: list[tuple[str, int]] = []
    known = set(VOCAB) - {"<pad>"}
    with open(path, "rb") as f:
        raw_lines = f.read().split(b"\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()

    def text(lineno: int, raw: bytes) -> str:
        try:
            return raw.decode("utf-8-sig" if lineno == 1 else "utf-8").rstrip("\r")
        except UnicodeDecodeError as exc:
            raise ValueError(f"{path}:{lineno}: invalid UTF-8 ({exc.reason} at byte "
                             f"{exc.start})") from None

    header = text(1, raw_lines[0]).split("\t") if raw_lines else []
    if header != ["Source", "Target"]:
        raise ValueError(f"{path}:1: header must be 'Source\\tTarget', got {header!r}")
    for lineno, raw in enumerate(raw_lines[1:], start=2):
        line = text(lineno, raw)
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 2:
            raise ValueError(f"{path}:{lineno}: malformed row, expected 2 tab-separated fields")
        source, target = fields
        try:
            label = int(target)
        except ValueError:
            raise ValueError(f"{path}:{lineno}: label {target!r} is not an integer") from None
        if not 0 <= label <= 9:
            raise ValueError(f"{path}:{lineno}: label {label} outside 0-9")
        if not source.strip():
            raise ValueError(f"{path}:{lineno}: empty source")
        unknown = next((tok for tok in source.split() if tok not in known), None)
        if unknown is not None:
            raise ValueError(f"{path}:{lineno}: unknown ListOps token {unknown!r}")
        out.append((source, label))
    return out


def load_listops(root: str | os.PathLike, split: str = "train") -> list[tuple[str, int]]:
    """Read ``root/basic_{split}.tsv`` of the LRA release (``lra_release/listops-1000``).

    Raises
    ------
    FileNotFoundError
        If ``root`` is not a directory or the split file is missing.
    ValueError
        For an unknown ``split`` or a malformed file.
    """
    check_choice(split, "split", ("train", "val", "test"))
    root = _path_arg(root, "root")
    if not root.is_dir():
        raise FileNotFoundError(f"ListOps directory not found: {root}")
    return load_listops_tsv(root / f"basic_{split}.tsv")


@dataclass
class _Item:
    ids: np.ndarray
    label: int


class ListOpsDataset:
    """A torch-style map dataset of tokenized ListOps samples.

    Items are ``(ids, label)`` with ``ids`` a ``torch.long`` tensor of shape (L,);
    batch them with :func:`ssmlib.data.pad_collate`.

    Parameters
    ----------
    samples : sequence of (source, label)
        Expressions and their labels (0-9).
    tokenizer : ListOpsTokenizer, optional
        Defaults to a new :class:`ListOpsTokenizer`.
    max_len : int or None
        Keep the first ``max_len`` tokens of longer sequences (None: keep all).
        The default 2000 is the official LRA input pipeline's
        (``lra_benchmarks/listops/input_pipeline.py``: ``tf_encode(...)[:max_length]``
        with ``max_length=2000``, also ``config.max_length`` in
        ``listops/configs/base_listops_config.py``). The S4 loader uses
        ``l_max = 2048`` instead, one slot of it for an end-of-sequence token
        (state-spaces/s4, ``src/dataloaders/lra.py``, class ``ListOps``). Samples
        generated with the LRA length window have fewer than 2000 tokens without
        parentheses, so the cut matters only with ``keep_parens=True``.
    """

    def __init__(self, samples: Sequence[tuple[str, int]],
                 tokenizer: ListOpsTokenizer | None = None,
                 max_len: int | None = 2000) -> None:
        if tokenizer is not None and not isinstance(tokenizer, ListOpsTokenizer):
            raise TypeError(f"tokenizer must be a ListOpsTokenizer, got {type(tokenizer).__name__}")
        self.tokenizer = tokenizer or ListOpsTokenizer()
        if max_len is not None:
            if isinstance(max_len, bool) or not isinstance(max_len, (int, np.integer)):
                raise TypeError(f"max_len must be an int or None, got {type(max_len).__name__}")
            if max_len < 1:
                raise ValueError(f"max_len must be >= 1, got {max_len}")
        if isinstance(samples, (str, bytes)) or not hasattr(samples, "__iter__"):
            raise TypeError(f"samples must be a sequence of (source, label) pairs, "
                            f"got {type(samples).__name__}")
        self.items: list[_Item] = []
        for k, sample in enumerate(samples):
            if not isinstance(sample, (tuple, list)) or len(sample) != 2:
                raise TypeError(f"samples[{k}] must be a (source, label) pair")
            source, label = sample
            if isinstance(label, bool) or not isinstance(label, (int, np.integer)):
                raise TypeError(f"samples[{k}]: label must be an int, got {type(label).__name__}")
            if not 0 <= label <= 9:
                raise ValueError(f"samples[{k}]: label {label} outside 0-9")
            ids = self.tokenizer.encode(source)
            if max_len is not None:
                ids = ids[:max_len]
            if ids.size == 0:
                raise ValueError(f"samples[{k}]: the source has no tokens")
            self.items.append(_Item(ids, int(label)))

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> Any:
        """Item ``i`` as ``(ids, label)``.

        ``i`` is an int with Python's sequence semantics (``-len(self) <= i <
        len(self)``, negative counts from the end); another integer raises
        ``IndexError`` and a non-integer (a bool, a float, a slice) ``TypeError``.
        """
        import torch

        it = self.items[_check_index(i, len(self.items), "ListOpsDataset")]
        return torch.from_numpy(it.ids), it.label

    @property
    def labels(self) -> np.ndarray:
        return np.array([it.label for it in self.items], dtype=np.int64)
