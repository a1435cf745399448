"""The built book: one page per chapter, figures, offline math, sliders, references, API."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.book, pytest.mark.slow]


def toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        pages += [c["file"] for c in part["chapters"]]
    return pages


def chapter_pages() -> list[str]:
    return [p for p in toc_pages() if re.match(r"book/\d\d_", p)]


def test_index_and_one_page_per_toc_entry(built_book):
    assert (built_book / "index.html").exists()
    for page in toc_pages():
        assert (built_book / f"{page}.html").exists(), f"no HTML page for {page}"


@pytest.mark.parametrize("page", chapter_pages())
def test_chapter_page_has_figures_and_a_slider(built_book, page):
    html = (built_book / f"{page}.html").read_text()
    # figures computed at build time are embedded (PNG outputs are written as image files)
    n_img = len(re.findall(r"<img[^>]+src=\"(?:\.\./_images/|data:image/png)", html))
    assert n_img >= 2, f"{page}: only {n_img} figures"
    assert 'class="ssm-explorer"' in html, f"{page}: no precomputed slider figure"
    assert "Traceback (most recent call last)" not in html, f"{page}: a cell printed a traceback"


def test_math_and_scripts_are_served_locally(built_book):
    with_math = 0
    for page in toc_pages():
        html = (built_book / f"{page}.html").read_text()
        # Sphinx loads MathJax only on pages that hold math; there it must be the vendored copy
        if 'class="math' in html:
            with_math += 1
            assert "_static/mathjax/tex-chtml.js" in html, f"{page}: MathJax is not the vendored copy"
        external = re.findall(r"<script[^>]+src=\"(https?://[^\"]+)\"", html)
        assert not external, f"{page} loads scripts from the network: {external}"
    assert with_math >= len(chapter_pages()), "chapters without math?"
    assert (built_book / "_static" / "mathjax" / "tex-chtml.js").exists()


def test_bibliography_and_api_pages(built_book):
    bib = (built_book / "book" / "bibliography.html").read_text()
    # pybtex's default style sets titles in sentence case
    assert "resurrecting recurrent neural networks for long sequences" in bib.lower()
    # `:all:` lists every entry of references.bib, one doc-biblioentry each
    n_bib = len(re.findall(r"^@\w+\{", (ROOT / "book" / "references.bib").read_text(), flags=re.M))
    assert bib.count('role="doc-biblioentry"') == n_bib
    api = (built_book / "book" / "api.html").read_text()
    for name in ("Explorer", "StateSpace", "SpringMassDamper", "discretize"):
        assert name in api, f"API page does not document {name}"


def test_page_sizes_are_reasonable(built_book):
    sizes = {p: p.stat().st_size for p in built_book.rglob("*.html")}
    largest, size = max(sizes.items(), key=lambda kv: kv[1])
    print(f"\nlargest page: {largest.relative_to(built_book)} {size / 1e6:.2f} MB")
    assert size < 12e6, f"{largest} is {size / 1e6:.1f} MB"


# --- finished pages (issue 10) ------------------------------------------------------------------

def visible_text(html: str) -> str:
    """The page's text as a reader sees it: no scripts, styles, tags or attributes."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    html = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", html)


def bib_keys() -> set[str]:
    return set(re.findall(r"@\w+\{([^,\s]+),", (ROOT / "book" / "references.bib").read_text()))


@pytest.mark.parametrize("page", [p for p in toc_pages() if p != "book/bibliography"])
def test_no_placeholder_or_internal_label_reaches_the_reader(built_book, page):
    text = visible_text((built_book / f"{page}.html").read_text())
    assert not re.search(r"\bpending\b", text, re.I), f"{page}: placeholder text ('pending')"
    assert not re.search(r"\{(eq|cite|ref|doc|term|numref)[^}]*\}", text), f"{page}: raw MyST role"
    # an equation label such as (eq-lru-expparam) or "eq. rec-distance" printed as text
    leaks = re.findall(r"\beq[.\s-]*\(?[a-z]+-[a-z][\w-]*", text)
    assert not leaks, f"{page}: internal equation labels in the text: {leaks[:5]}"
    keys = [k for k in bib_keys() if re.search(rf"(?<![\w/.#-]){re.escape(k)}(?![\w-])", text)]
    assert not keys, f"{page}: raw citation keys in the text: {keys}"
    assert "REFERENCE-NOTES" not in text, f"{page} cites a file that is not part of the project"


def test_scan_benchmark_table_is_an_html_table(built_book):
    html = (built_book / "book" / "08_parallel_scans.html").read_text()
    tables = re.findall(r"<table\b.*?</table>", html, flags=re.S)
    assert any("backend" in t for t in tables), "chapter 8's benchmark table is not an HTML table"
    assert not re.search(r"(?<![|\w])\|\s*backend\s*\|", visible_text(html)), (
        "chapter 8 shows a raw Markdown table"
    )


def test_bibliography_labels_are_clean(built_book):
    bib = (built_book / "book" / "bibliography.html").read_text()
    labels = re.findall(r'<span class="label">(?:<span[^>]*>)?\[?([^<\]]+)\]?', bib)
    labels += re.findall(r'role="doc-biblioentry"[^>]*>\s*<span[^>]*>\s*\[([^\]<]+)\]', bib)
    for label in labels:
        # a LaTeX accent parsed as letters gives labels such as "BBudivsicKK22"
        assert not re.search(r"(\\|\{|\}|div|v\{)", label), f"mangled bibliography label {label!r}"


def test_solutions_sit_inside_dropdowns(built_book):
    for page in chapter_pages():
        html = (built_book / f"{page}.html").read_text()
        n_sol = len(re.findall(r'class="[^"]*\bsolution\b', html))
        n_drop = len(re.findall(r'class="[^"]*\bsolution\b[^"]*\bdropdown\b|<details[^>]*class="[^"]*solution', html))
        assert n_sol >= 2, f"{page}: {n_sol} solutions rendered"
        assert n_drop == n_sol or n_drop >= 2, f"{page}: a solution is not in a dropdown"
