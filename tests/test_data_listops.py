"""Tests for ssmlib.data.listops: generator, evaluator, tokenizer, TSV loader."""

from __future__ import annotations

import statistics

import numpy as np
import pytest
import torch

from ssmlib.data import ListOpsDataset, ListOpsTokenizer, pad_collate
from ssmlib.data import listops as lo


# --- an independent oracle: recursive-descent parser over the token list --------------
def _oracle_parse(tokens, i=0, depth=1):
    """Return (value, next index, depth reached, max args seen) of the expression at i."""
    tok = tokens[i]
    if tok.isdigit():
        return int(tok), i + 1, depth, 0
    assert tok.startswith("["), tok
    args, j, deepest, widest = [], i + 1, depth, 0
    while tokens[j] != "]":
        v, j, d, w = _oracle_parse(tokens, j, depth + 1)
        args.append(v)
        deepest, widest = max(deepest, d), max(widest, w)
    ops = {"[MIN": min, "[MAX": max, "[SM": lambda a: sum(a) % 10,
           "[MED": lambda a: int(statistics.median(a))}
    return ops[tok](args), j + 1, deepest, max(widest, len(args))


def oracle_value(source: str) -> int:
    tokens = [t for t in source.split() if t not in "()"]
    value, end, _, _ = _oracle_parse(tokens)
    assert end == len(tokens)
    return value


@pytest.mark.parametrize("source, value", [
    ("[MAX 2 9 [MIN 4 7 ] 0 ]", 9),
    ("[MED 1 2 3 4 ]", 2),          # median 2.5 truncated
    ("[SM 5 6 7 ]", 8),             # 18 mod 10
    ("[MIN [MAX 1 2 ] [SM 9 9 ] ]", 2),
    ("7", 7),
])
def test_evaluate_hand_examples(source, value):
    assert lo.evaluate(source) == value
    assert oracle_value(source) == value


def test_generator_labels_match_independent_oracle():
    samples = lo.generate_listops(150, min_length=20, max_length=150, seed=1)
    for source, label in samples:
        assert label == oracle_value(source) == lo.evaluate(source)
        assert 0 <= label <= 9


def test_generator_rules_length_depth_args_unique():
    samples = lo.generate_listops(120, min_length=30, max_length=120, max_depth=4, max_args=5, seed=2)
    sources = [s for s, _ in samples]
    assert len(set(sources)) == len(sources)
    for s in sources:
        tokens = [t for t in s.split() if t not in "()"]
        assert 30 < len(tokens) < 120                       # open length window
        _, _, depth, widest = _oracle_parse(tokens)
        assert depth <= 4 and 2 <= widest <= 5
        assert s.count("(") == s.count(")")
    # every operator and several labels occur
    text = " ".join(sources)
    for op in lo.OPERATORS:
        assert op in text
    assert len({label for _, label in samples}) >= 5


def test_generator_default_window_and_determinism():
    a = lo.generate_listops(3, seed=5)
    b = lo.generate_listops(3, seed=5)
    assert a == b
    tok = ListOpsTokenizer()
    assert all(500 < len(tok.encode(s)) < 2000 for s, _ in a)


def test_generator_exclude_gives_disjoint_splits():
    train = lo.generate_listops(40, min_length=10, max_length=60, seed=0)
    test = lo.generate_listops(40, min_length=10, max_length=60, seed=0,
                               exclude=[s for s, _ in train])
    assert not {s for s, _ in train} & {s for s, _ in test}


def test_lra_string_parens_are_redundant():
    rng = np.random.default_rng(3)
    for _ in range(30):
        tree = lo.generate_tree(rng, max_depth=5)
        with_p = lo.to_lra_string(tree)
        plain = lo.to_lra_string(tree, parens=False)
        assert " ".join(t for t in with_p.split() if t not in "()") == plain
        assert lo.evaluate(with_p) == lo.evaluate(plain) == lo.tree_value(tree)
        assert lo.tree_length(tree) == len(plain.split())


def test_tokenizer_roundtrip_and_brackets():
    tok = ListOpsTokenizer()
    s = "( ( ( [MAX 2 ) [MIN 4 7 ] ) ] )"
    ids = tok.encode(s)
    assert tok.decode(ids) == "[MAX 2 [MIN 4 7 ] ]"
    assert len(ListOpsTokenizer(keep_parens=True).encode(s)) == len(s.split())
    assert tok.vocab_size == 18 and tok.pad_id == 0 and 0 not in ids
    # the bracket bug: without ']' these two expressions look the same but differ
    a, b = "[MAX 1 [MIN 5 6 ] 7 ]", "[MAX 1 [MIN 5 6 7 ] ]"
    assert lo.evaluate(a) == 7 and lo.evaluate(b) == 5
    strip = lambda x: [t for t in x.split() if t != "]"]  # noqa: E731
    assert strip(a) == strip(b)
    assert not np.array_equal(tok.encode(a), tok.encode(b))


def test_tokenizer_and_evaluator_errors():
    tok = ListOpsTokenizer()
    with pytest.raises(ValueError, match="source"):
        tok.encode("[MAX 1 [FOO 2 ] ]")
    with pytest.raises(TypeError, match="source"):
        tok.encode(3)
    for bad in ("[MAX 1 2", "[MAX 1 ] ]", "[MIN ]", "1 2", ""):
        with pytest.raises(ValueError, match="source|operator"):
            lo.evaluate(bad)


def test_generator_argument_errors():
    with pytest.raises(ValueError, match="n"):
        lo.generate_listops(-1)
    with pytest.raises(ValueError, match="min_length"):
        lo.generate_listops(2, min_length=10, max_length=11)
    with pytest.raises(ValueError, match="operator_prob"):
        lo.generate_listops(2, operator_prob=1.5)
    with pytest.raises(RuntimeError, match="samples"):
        lo.generate_listops(5, min_length=1, max_length=50, operator_prob=0.0, max_tries=100)


def test_tsv_roundtrip_and_loader(tmp_path):
    samples = lo.generate_listops(12, min_length=5, max_length=40, seed=4)
    for split in ("train", "val", "test"):
        lo.write_listops_tsv(tmp_path / f"basic_{split}.tsv", samples)
    text = (tmp_path / "basic_train.tsv").read_text().splitlines()
    assert text[0] == "Source\tTarget" and len(text) == 13
    assert lo.load_listops(tmp_path, "val") == samples
    assert lo.load_listops_tsv(tmp_path / "basic_test.tsv") == samples


@pytest.mark.parametrize("content, match", [
    ("Src\tTarget\n", "header"),
    ("Source\tTarget\n[MAX 1 2 ]\t2\textra\n", "malformed"),
    ("Source\tTarget\n[MAX 1 2 ]\ttwo\n", "not an integer"),
    ("Source\tTarget\n[MAX 1 2 ]\t12\n", "outside 0-9"),
])
def test_tsv_malformed(tmp_path, content, match):
    p = tmp_path / "basic_train.tsv"
    p.write_text(content)
    with pytest.raises(ValueError, match=match):
        lo.load_listops_tsv(p)


def test_loader_missing_paths(tmp_path):
    with pytest.raises(FileNotFoundError, match="directory"):
        lo.load_listops(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match="basic_val"):
        lo.load_listops(tmp_path, "val")
    with pytest.raises(ValueError, match="split"):
        lo.load_listops(tmp_path, "dev")


def test_dataset_and_pad_collate():
    samples = [("[MAX 1 2 ]", 2), ("( [SM 5 [MIN 3 4 ] ] )", 8), ("7", 7)]
    ds = ListOpsDataset(samples)
    x, mask, y = pad_collate([ds[i] for i in range(3)])
    assert x.shape == (3, 7) and x.dtype == torch.int64
    assert mask.sum(1).tolist() == [4, 7, 1]
    assert torch.all(x[~mask] == 0) and torch.all(x[mask] != 0)
    assert y.tolist() == [2, 8, 7]
    assert ListOpsDataset(samples, max_len=3)[1][0].shape == (3,)
    with pytest.raises(ValueError, match="batch"):
        pad_collate([])


# --- loaders and writers that cannot be tricked ------------------------------------------------
@pytest.mark.parametrize("content, match", [
    (b"Source\tTarget\n[MAX 1 2 ]\t2\n[MAX 1 \xff ]\t1\n", r"basic_train\.tsv:3: invalid UTF-8"),
    (b"Source\tTarget\n[MAX 1 2 ]\t2\n[MAX 1 [FOO 2 ] ]\t1\n", r"basic_train\.tsv:3: unknown ListOps token '\[FOO'"),
])
def test_tsv_names_file_and_line(tmp_path, content, match):
    p = tmp_path / "basic_train.tsv"
    p.write_bytes(content)
    with pytest.raises(ValueError, match=match):
        lo.load_listops_tsv(p)


def test_tsv_accepts_a_byte_order_mark_and_writes_utf8(tmp_path):
    p = tmp_path / "basic_train.tsv"
    p.write_bytes("\ufeffSource\tTarget\n[MAX 1 2 ]\t2\n".encode("utf-8"))
    assert lo.load_listops_tsv(p) == [("[MAX 1 2 ]", 2)]
    lo.write_listops_tsv(p, [("[MIN 3 4 ]", 3)])
    assert p.read_bytes() == b"Source\tTarget\n[MIN 3 4 ]\t3\n"


def test_writer_and_dataset_check_labels(tmp_path):
    with pytest.raises(ValueError, match=r"samples\[1\]: label 10 outside 0-9"):
        lo.write_listops_tsv(tmp_path / "x.tsv", [("[MAX 1 2 ]", 2), ("[MAX 1 2 ]", 10)])
    assert not (tmp_path / "x.tsv").exists()  # nothing written
    with pytest.raises(ValueError, match="label -1"):
        ListOpsDataset([("[MAX 1 2 ]", -1)])
    with pytest.raises(TypeError, match="label"):
        ListOpsDataset([("[MAX 1 2 ]", 2.0)])


def test_dataset_cuts_at_the_official_2000_tokens():
    long = "[SM " + " ".join(["1"] * 2500) + " ]"
    assert len(ListOpsDataset([(long, 0)])[0][0]) == 2000  # LRA input_pipeline max_length
    assert len(ListOpsDataset([(long, 0)], max_len=None)[0][0]) == 2502


def test_decode_and_generator_arguments():
    tok = ListOpsTokenizer()
    with pytest.raises(ValueError, match="token id -1 .*vocab_size=18"):
        tok.decode([-1])
    with pytest.raises(ValueError, match="token id 18"):
        tok.decode([1, 18])
    with pytest.raises(TypeError, match="ids"):
        tok.decode([1.5])
    with pytest.raises(ValueError, match="max_tries"):
        lo.generate_listops(2, max_tries=0)
    with pytest.raises(TypeError, match="seed"):
        lo.generate_listops(2, seed="abc")
    with pytest.raises(ValueError, match="seed"):
        lo.generate_listops(2, seed=-1)
