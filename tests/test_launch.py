"""One repository setting for the launch buttons, the install cells and the README (issue 11).

``_config.yml``'s ``repository:`` (url, branch) is the single setting:

* Jupyter Book builds every chapter's Binder and Colab button from it;
* ``scripts/sync_install_cell.py`` writes every chapter's install cell (cell 2) and the
  README's launch links from it;
* the dependency files agree with ``pyproject.toml``, and its floors are at or below the
  versions Colab and Pyodide provide.

Runs without torch, yaml or nbformat (CI also runs it in the light venv).
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))


def _load_sync():
    spec = importlib.util.spec_from_file_location("sync_install_cell", ROOT / "scripts" / "sync_install_cell.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sync = _load_sync()
SETTING = sync.read_setting()


def test_setting_is_one_github_repository_and_branch():
    assert SETTING["url"] == f"https://github.com/{SETTING['org']}/{SETTING['repo']}"
    assert SETTING["branch"]
    assert sync.pip_source(SETTING) == f"git+{SETTING['url']}.git@{SETTING['branch']}"
    yaml = pytest.importorskip("yaml")  # the book's environment: cross-check the small parser
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["repository"]["url"].rstrip("/") == SETTING["url"]
    assert str(config["repository"]["branch"]) == SETTING["branch"]
    assert (config["repository"].get("path_to_book") or "") == SETTING["path_to_book"]
    launch = config["launch_buttons"]
    assert launch["binderhub_url"].rstrip("/") == SETTING["binderhub_url"]
    assert launch["colab_url"].rstrip("/") == SETTING["colab_url"]
    assert launch["notebook_interface"] == SETTING["notebook_interface"]


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.name for p in CHAPTERS])
def test_install_cell_is_built_from_the_setting(path):
    """Cell 2 is exactly what scripts/sync_install_cell.py writes (run it after changing
    ``repository:`` in _config.yml)."""
    nb = json.loads(path.read_text())
    cell = nb["cells"][1]
    assert cell["cell_type"] == "code" and "hide-cell" in cell["metadata"].get("tags", [])
    want = sync.install_cell_source(SETTING, sync.needs_torch(nb))
    assert "".join(cell["source"]) == want, (
        f"{path.name}: cell 2 is not built from _config.yml's repository setting; "
        "run `python scripts/sync_install_cell.py`"
    )


def test_install_cell_installs_the_configured_branch_and_the_right_extra():
    for torch in (False, True):
        src = sync.install_cell_source(SETTING, torch)
        compile(src, "<install cell>", "exec")
        assert f'"git+{SETTING["url"]}.git@{SETTING["branch"]}"' in src
        assert ('f"ssmlib[torch] @ {source}"' in src) == torch
        assert ('f"ssmlib @ {source}"' in src) == (not torch)
    torch_chapters = {p.name for p in CHAPTERS if sync.needs_torch(json.loads(p.read_text()))}
    # chapters 8-10 are torch chapters; 1-4, 6 and 7 need only the base install
    assert {p.name for p in CHAPTERS if p.name[:2] in ("08", "09", "10", "11")} <= torch_chapters
    assert not {p.name for p in CHAPTERS if p.name[:2] in ("01", "02", "03", "04", "06", "07")} & torch_chapters


def test_sync_rewrites_an_old_cell_only_and_is_idempotent(tmp_path):
    (tmp_path / "book").mkdir()
    src = CHAPTERS[0]
    dst = tmp_path / "book" / src.name
    shutil.copy(src, dst)
    nb = json.loads(dst.read_text())
    old_cells = nb["cells"]
    nb["cells"][1]["source"] = [
        "# Install ssmlib when it is missing (Colab); a no-op where it is installed.\n",
        "import os\n",
    ]
    dst.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    assert sync.sync_notebook(dst, SETTING, write=False) == "stale"
    assert sync.sync_notebook(dst, SETTING, write=True) == "updated"
    assert sync.sync_notebook(dst, SETTING, write=True) == "ok"
    new = json.loads(dst.read_text())
    assert "".join(new["cells"][1]["source"]) == sync.install_cell_source(SETTING, sync.needs_torch(new))
    assert new["cells"][1]["metadata"] == old_cells[1]["metadata"]
    assert new["cells"][0] == old_cells[0] and new["cells"][2:] == old_cells[2:]
    # a notebook whose cell 2 is something else is left alone
    nb["cells"][1]["source"] = ["import numpy as np\n"]
    dst.write_text(json.dumps(nb, indent=1) + "\n")
    before = dst.read_text()
    assert sync.sync_notebook(dst, SETTING, write=True) == "no install cell"
    assert dst.read_text() == before


def test_launch_urls_follow_sphinx_book_theme():
    urls = sync.launch_urls(SETTING, "book/01_spring_mass_damper.ipynb")
    ui = {"classic": "tree", "jupyterlab": "lab/tree"}[SETTING["notebook_interface"]]
    org_repo = f"{SETTING['org']}/{SETTING['repo']}"
    assert urls["binder"] == (
        f"https://mybinder.org/v2/gh/{org_repo}/{SETTING['branch']}?urlpath={ui}/book/01_spring_mass_damper.ipynb"
    )
    assert urls["colab"] == (
        f"https://colab.research.google.com/github/{org_repo}/blob/{SETTING['branch']}/book/01_spring_mass_damper.ipynb"
    )


def test_readme_launch_links_are_built_from_the_setting():
    assert sync.sync_readme(SETTING, write=False) == "ok", (
        "README.md's launch links are stale: run `python scripts/sync_install_cell.py`"
    )
    readme = (ROOT / "README.md").read_text()
    for path in CHAPTERS:
        urls = sync.launch_urls(SETTING, path.relative_to(ROOT).as_posix())
        assert urls["binder"] in readme and urls["colab"] in readme, path.name


@pytest.mark.book
def test_built_chapters_launch_buttons_use_the_setting(built_book):
    """The rendered buttons of every chapter (sphinx-book-theme) are the URLs of the setting."""
    for path in CHAPTERS:
        page = built_book / path.relative_to(ROOT).with_suffix(".html")
        html = page.read_text()
        hrefs = set(re.findall(r'href="([^"]+)"', html))
        urls = sync.launch_urls(SETTING, path.relative_to(ROOT).as_posix())
        binder = {h for h in hrefs if h.startswith(SETTING["binderhub_url"])}
        colab = {h for h in hrefs if h.startswith(SETTING["colab_url"])}
        assert binder == {urls["binder"]}, f"{page.name}: {binder}"
        assert colab == {urls["colab"]}, f"{page.name}: {colab}"
        assert f'href="{SETTING["url"]}"' in html, f"{page.name}: repository button"


# --- dependency files ---------------------------------------------------------------------
def _pyproject() -> dict:
    tomllib = pytest.importorskip("tomllib")
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _floors(requirements: list[str]) -> dict[str, str]:
    out = {}
    for req in requirements:
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*>=\s*([0-9][0-9A-Za-z.]*)(\s*;.*)?", req.strip())
        assert m, f"expected NAME>=VERSION, got {req!r}"
        out[m.group(1).lower()] = m.group(2)
    return out


BASE = {"numpy", "scipy", "matplotlib", "sympy", "ipywidgets", "tqdm"}

# What readers' platforms provide (see the comment in pyproject.toml for the sources):
COLAB = {  # googlecolab/backend-info pip-freeze.txt, 2026-08-19 (Python 3.13)
    "numpy": "2.1.3", "scipy": "1.16.3", "matplotlib": "3.10.0", "sympy": "1.14.0",
    "ipywidgets": "7.7.1", "tqdm": "4.67.3", "torch": "2.11.0",
}
PYODIDE = {  # pyodide 314.0.7, pyodide-lock.json (Python 3.14.2)
    "numpy": "2.4.6", "scipy": "1.18.0", "matplotlib": "3.10.8", "sympy": "1.14.0", "tqdm": "4.67.3",
}


def test_base_install_is_light():
    project = _pyproject()["project"]
    base = _floors(project["dependencies"])
    assert set(base) == BASE, "the base install is what chapters 1-7 need, no torch or triton"
    extras = project["optional-dependencies"]
    assert {"torch", "gpu", "accel", "book", "test"} <= set(extras)
    assert [r for r in extras["torch"] if r.startswith("torch")]
    assert any(r.startswith("triton") for r in extras["gpu"])


def test_floors_fit_colab_and_pyodide():
    from packaging.version import Version

    floors = _floors(_pyproject()["project"]["dependencies"])
    floors["torch"] = _floors(_pyproject()["project"]["optional-dependencies"]["torch"])["torch"]
    for platform, versions in (("Colab", COLAB), ("Pyodide", PYODIDE)):
        for name, have in versions.items():
            assert Version(floors[name]) <= Version(have), (
                f"{name}>={floors[name]} is above {platform}'s {have}: pip would replace it there"
            )


def test_requirements_min_pins_exactly_the_floors():
    from packaging.version import Version

    floors = _floors(_pyproject()["project"]["dependencies"])
    pins = {}
    for line in (ROOT / "requirements-min.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.strip().lower()] = Version(version.strip())
    assert pins == {name: Version(v) for name, v in floors.items()}


def test_binder_environment_runs_the_chapters_with_cpu_torch_only():
    lines = [ln.split("#")[0].strip() for ln in (ROOT / "binder" / "requirements.txt").read_text().splitlines()]
    lines = [ln for ln in lines if ln]
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in lines
    names = {re.split(r"[<>=!~;\s\[]", ln, maxsplit=1)[0].lower() for ln in lines if not ln.startswith("-")}
    assert BASE | {"torch"} <= names
    assert not names & {"triton", "jupyter-book", "playwright", "pytest"}, "Binder runs chapters only"
    floors = _floors(_pyproject()["project"]["dependencies"])
    binder = _floors([ln for ln in lines if not ln.startswith("-")])
    from packaging.version import Version

    for name, floor in floors.items():
        assert Version(binder[name]) >= Version(floor), name
    assert "pip install --no-deps -e ." in (ROOT / "binder" / "postBuild").read_text()


def test_requirements_txt_is_ssmlib_with_every_extra():
    lines = [ln.split("#")[0].strip() for ln in (ROOT / "requirements.txt").read_text().splitlines()]
    assert [ln for ln in lines if ln] == ["-e .[torch,gpu,accel,book,test]"]
