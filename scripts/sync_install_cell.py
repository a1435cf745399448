"""Write every chapter's install cell (cell 2) and the README's launch links from one setting.

The setting is ``repository:`` in ``_config.yml`` (``url``, ``branch``, ``path_to_book``),
which Jupyter Book also uses for the Binder and Colab launch buttons of every chapter. So
the buttons, the install cell and the README all point at the same repository and branch.

Usage (from the repository root, in the book's environment)::

    python scripts/sync_install_cell.py          # rewrite cell 2 of book/NN_*.ipynb and README.md
    python scripts/sync_install_cell.py --check  # exit 1 (and list them) if any is out of date

The install cell installs ``ssmlib`` from ``git+<url>.git@<branch>`` when it is missing
(Colab, a bare Jupyter); it is a no-op where ssmlib is installed (Binder, ``make book``).
Chapters that use torch (directly, or through a torch-only ssmlib name) install
``ssmlib[torch]``; the others the base install. Colab preinstalls torch, numpy, scipy,
matplotlib, sympy, ipywidgets 7.7.1 and tqdm at versions that meet ssmlib's floors, so
there pip adds ssmlib alone and keeps Colab's ipywidgets. ``SSMLIB_SOURCE`` (a pip URL:
``git+https://...`` or ``file:///path/to/checkout``) overrides the source; the tests use it.

Only the source of cell 2 changes (its tags stay); a notebook whose cell 2 is not an install
cell is reported and left alone.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "_config.yml"
README = ROOT / "README.md"
CHAPTER_GLOB = "book/[0-9][0-9]_*.ipynb"
INSTALL_MARK = "# Install ssmlib"
README_START = "<!-- launch-links:start (scripts/sync_install_cell.py writes this block) -->"
README_END = "<!-- launch-links:end -->"

# A chapter needs ssmlib[torch] when its code imports torch or uses one of these names.
TORCH_NAMES = (
    r"\bimport torch\b|\bfrom torch\b"
    r"|\bsl\.(scan|LRU|LRUBlock|LRUClassifier|lru_param_groups|SCAN_BACKENDS|triton_available"
    r"|linear_rnn_autograd|linear_rnn_torch|train)\b"
    r"|\bssmlib\.(scan|lru|train)\b"
    r"|\bsl\.explorers\.(scan_levels_explorer|lru_init_explorer)\b"
)


# --- the setting -------------------------------------------------------------------------
def _block(text: str, key: str) -> dict[str, str]:
    """The ``key: value`` pairs of the top-level YAML mapping ``key:`` (flat, scalar values)."""
    lines = text.splitlines()
    out: dict[str, str] = {}
    inside = False
    for line in lines:
        if re.match(rf"^{re.escape(key)}:\s*(#.*)?$", line):
            inside = True
            continue
        if inside:
            if line.strip() == "" or line.lstrip().startswith("#"):
                continue
            if not line.startswith((" ", "\t")):
                break
            m = re.match(r"^\s+([A-Za-z_]\w*):\s*(.*?)\s*(#.*)?$", line)
            if m:
                value = m.group(2)
                if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                    value = value[1:-1]
                out[m.group(1)] = value
    if not inside:
        raise SystemExit(f"{CONFIG.name}: no top-level `{key}:` block")
    return out


def read_setting(config: Path = CONFIG) -> dict[str, str]:
    """``url`` (https://github.com/ORG/REPO), ``branch``, ``path_to_book`` and the launch settings."""
    text = config.read_text()
    repo = _block(text, "repository")
    launch = _block(text, "launch_buttons")
    url = repo.get("url", "").rstrip("/")
    m = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+?)(\.git)?", url)
    if not m:
        raise SystemExit(f"{config.name}: repository.url must be https://github.com/ORG/REPO, got {url!r}")
    branch = repo.get("branch", "")
    if not branch:
        raise SystemExit(f"{config.name}: repository.branch is missing")
    return {
        "url": f"https://github.com/{m.group(1)}/{m.group(2)}",
        "org": m.group(1),
        "repo": m.group(2),
        "branch": branch,
        "path_to_book": repo.get("path_to_book", "").strip("/"),
        "binderhub_url": launch.get("binderhub_url", "").rstrip("/"),
        "colab_url": launch.get("colab_url", "").rstrip("/"),
        "notebook_interface": launch.get("notebook_interface", "classic"),
    }


def pip_source(s: dict[str, str]) -> str:
    """The pip URL of ssmlib at the configured branch."""
    return f"git+{s['url']}.git@{s['branch']}"


def launch_urls(s: dict[str, str], notebook: str) -> dict[str, str]:
    """Binder and Colab URLs of ``notebook`` (path relative to the book root, e.g.
    ``book/01_spring_mass_damper.ipynb``), as sphinx-book-theme builds them."""
    rel = f"{s['path_to_book']}/{notebook}" if s["path_to_book"] else notebook
    ui = {"classic": "tree", "jupyterlab": "lab/tree"}[s["notebook_interface"]]
    return {
        "binder": f"{s['binderhub_url']}/v2/gh/{s['org']}/{s['repo']}/{s['branch']}?urlpath={ui}/{rel}",
        "colab": f"{s['colab_url']}/github/{s['org']}/{s['repo']}/blob/{s['branch']}/{rel}",
    }


# --- the install cell ---------------------------------------------------------------------
def needs_torch(nb: dict) -> bool:
    """True when a code cell other than the install cell uses torch (see ``TORCH_NAMES``)."""
    code = [
        "".join(c["source"]) for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code" and i != 1
    ]
    return any(re.search(TORCH_NAMES, src) for src in code)


def install_cell_source(s: dict[str, str], torch: bool) -> str:
    requirement = "ssmlib[torch]" if torch else "ssmlib"
    return (
        f"{INSTALL_MARK} when it is missing (Colab); a no-op where it is installed.\n"
        f"# Written by scripts/sync_install_cell.py from _config.yml (repository: url, branch).\n"
        "import importlib.util, os, subprocess, sys\n"
        'if importlib.util.find_spec("ssmlib") is None:\n'
        f'    source = os.environ.get("SSMLIB_SOURCE", "{pip_source(s)}")\n'
        "    subprocess.check_call([sys.executable, \"-m\", \"pip\", \"install\", \"-q\", "
        f'f"{requirement} @ {{source}}"])'
    )


def chapters(root: Path = ROOT) -> list[Path]:
    return sorted(root.glob(CHAPTER_GLOB))


def sync_notebook(path: Path, s: dict[str, str], write: bool) -> str:
    """``"ok"``, ``"updated"`` (or ``"stale"`` with ``write=False``), or ``"no install cell"``."""
    nb = json.loads(path.read_text())
    cells = nb["cells"]
    if len(cells) < 2 or cells[1]["cell_type"] != "code" or not "".join(cells[1]["source"]).startswith(INSTALL_MARK):
        return "no install cell"
    want = install_cell_source(s, needs_torch(nb))
    if "".join(cells[1]["source"]) == want:
        return "ok"
    if not write:
        return "stale"
    cells[1]["source"] = want.splitlines(keepends=True)
    cells[1]["outputs"] = []
    cells[1]["execution_count"] = None
    indent = 1 if '\n "cells"' in path.read_text()[:40] else 2
    path.write_text(json.dumps(nb, indent=indent, ensure_ascii=False) + "\n")
    return "updated"


# --- the README ---------------------------------------------------------------------------
def readme_block(s: dict[str, str], root: Path = ROOT) -> str:
    source = pip_source(s)
    rows = [
        README_START,
        f"Repository: <{s['url']}> (branch `{s['branch']}`). Install ssmlib alone with",
        "",
        "```bash",
        f'pip install "ssmlib @ {source}"         # chapters 1-7',
        f'pip install "ssmlib[torch] @ {source}"  # + torch: chapters 5 and 8-10',
        "```",
        "",
        "or open a chapter on Binder (everything installed, CPU torch) or Colab (the chapter's",
        "first cell installs ssmlib):",
        "",
        "| chapter | Binder | Colab |",
        "|---|---|---|",
    ]
    for path in chapters(root):
        rel = path.relative_to(root).as_posix()
        urls = launch_urls(s, rel)
        rows.append(f"| `{path.stem}` | [launch]({urls['binder']}) | [open]({urls['colab']}) |")
    rows.append(README_END)
    return "\n".join(rows)


def sync_readme(s: dict[str, str], write: bool, readme: Path = README) -> str:
    text = readme.read_text()
    if README_START not in text or README_END not in text:
        return "no launch-links block"
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    new = head + readme_block(s, readme.parent) + tail
    if new == text:
        return "ok"
    if write:
        readme.write_text(new)
        return "updated"
    return "stale"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report; exit 1 if anything is out of date")
    args = parser.parse_args(argv)
    s = read_setting()
    bad = 0
    for path in chapters():
        status = sync_notebook(path, s, write=not args.check)
        print(f"{path.relative_to(ROOT)}: {status}")
        bad += status in ("stale", "no install cell")
    status = sync_readme(s, write=not args.check)
    print(f"README.md: {status}")
    bad += status in ("stale", "no launch-links block")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
