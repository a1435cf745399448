"""Static checks of the chapters: stored without outputs, built on ssmlib, complete."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest
import yaml

import ssmlib

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))
CHAPTERS = [nb for nb in NOTEBOOKS if re.match(r"\d\d_", nb.name)]
ids = [nb.name for nb in NOTEBOOKS]


def code_sources(nb) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "code"]


def markdown(nb) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for e in entries:
            if "file" in e:
                files.append(e["file"])
            walk(e.get("sections", []))

    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    walk(toc.get("chapters", []))
    return files


def test_there_are_chapters():
    assert len(CHAPTERS) >= 3


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_notebook_is_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {i} has stored outputs"
            assert cell.execution_count is None, f"{path.name} cell {i} has an execution count"


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.name for p in CHAPTERS])
def test_chapter_imports_ssmlib_and_installs_it_when_missing(path):
    nb = nbformat.read(path, as_version=4)
    codes = code_sources(nb)
    assert codes, f"{path.name} has no code"
    first = codes[0]
    assert 'find_spec("ssmlib")' in first and "SSMLIB_SOURCE" in first, (
        f"{path.name}: the first code cell must install ssmlib when missing (see CONTRIBUTING.md)"
    )
    assert any(re.search(r"^import ssmlib as sl\b", c, re.M) for c in codes), (
        f"{path.name} does not `import ssmlib as sl`"
    )


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.name for p in CHAPTERS])
def test_chapter_does_not_redefine_library_functions(path):
    """One source of truth: a chapter must not define a function ssmlib exports."""
    exported = {n for n in dir(ssmlib) if not n.startswith("_")}
    nb = nbformat.read(path, as_version=4)
    for src in code_sources(nb):
        clean = "\n".join(
            line for line in src.splitlines() if not line.lstrip().startswith(("%", "!"))
        )
        for node in ast.walk(ast.parse(clean)):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                assert node.name not in exported, (
                    f"{path.name} redefines ssmlib.{node.name}; import it instead"
                )


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.name for p in CHAPTERS])
def test_chapter_has_objectives_exercises_solutions_and_citations(path):
    nb = nbformat.read(path, as_version=4)
    text = markdown(nb)
    assert re.search(r"learning objectives", text, re.I), f"{path.name}: no learning objectives"
    n_ex = text.count("{exercise-start}")
    assert 2 <= n_ex <= 6, f"{path.name}: {n_ex} exercises (expected 2-4)"
    assert text.count("{solution-start}") == n_ex, f"{path.name}: an exercise lacks a solution"
    assert ":class: dropdown" in text, f"{path.name}: solutions must be in dropdowns"
    assert "{cite" in text, f"{path.name}: cites nothing"
    assert any(".show(" in c for c in code_sources(nb)), f"{path.name}: no slider (Explorer.show)"


def test_every_citation_key_is_in_the_bibliography():
    bib = (BOOK / "references.bib").read_text()
    keys = set(re.findall(r"@\w+\{([^,\s]+),", bib))
    assert len(keys) == len(re.findall(r"@\w+\{", bib)), "duplicate or malformed BibTeX keys"
    sources = [markdown(nbformat.read(p, as_version=4)) for p in NOTEBOOKS]
    sources += [p.read_text() for p in BOOK.glob("*.md")]
    cited = set()
    for s in sources:
        for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", s):
            cited.update(k.strip() for k in group.split(","))
    missing = cited - keys
    assert not missing, f"cited but not in references.bib: {sorted(missing)}"


def test_toc_lists_existing_files_and_every_chapter():
    listed = toc_files()
    for f in listed:
        assert any((ROOT / (f + ext)).exists() for ext in ("", ".md", ".ipynb")), f"{f} in _toc.yml does not exist"
    for nb in NOTEBOOKS:
        assert f"book/{nb.stem}" in listed, f"{nb.name} is not in _toc.yml"


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.name for p in CHAPTERS])
def test_chapter_ends_with_summary_then_exercises(path):
    nb = nbformat.read(path, as_version=4)
    h2 = re.findall(r"^## +(.+?)\s*$", markdown(nb), flags=re.M)
    assert "Summary" in h2, f"{path.name}: no '## Summary' section"
    assert h2[-2:] == ["Summary", "Exercises"], (
        f"{path.name}: the last sections are {h2[-2:]}, expected ['Summary', 'Exercises']"
    )


def test_notation_page_comes_before_chapter_one():
    listed = toc_files()
    assert "book/notation" in listed, "no notation page in _toc.yml"
    assert listed.index("book/notation") < listed.index("book/01_spring_mass_damper")


def test_nothing_cites_the_private_reference_notes():
    files = list(BOOK.glob("*.md")) + NOTEBOOKS + list((ROOT / "ssmlib").rglob("*.py"))
    offenders = [str(f.relative_to(ROOT)) for f in files if "REFERENCE-NOTES" in f.read_text()]
    assert not offenders, f"cite primary sources, not the private notes: {offenders}"
