"""Every chapter runs in a Colab-like environment, installing ssmlib with its first cell.

A fresh virtual environment gets only the packages Colab preinstalls that matter
here, at Colab's versions (numpy, scipy, matplotlib, ipywidgets 7.7.1, sympy, tqdm;
torch at the main environment's release, a local CPU wheel here) plus the kernel
machinery (ipykernel, nbclient). ssmlib is *not* installed: each notebook's
first cell must install it, from ``SSMLIB_SOURCE``, which points at this
checkout (a ``file://`` URL). Then the whole notebook must execute, with live
(ipywidgets 7) sliders, and the install must leave Colab's packages as they were.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
pytestmark = [pytest.mark.slow]

# Colab's versions (googlecolab/backend-info pip-freeze.txt, 2026-08-19; see pyproject.toml).
COLAB_VERSIONS = {"numpy": "2.1.3", "scipy": "1.16.3", "matplotlib": "3.10.0", "ipywidgets": "7.7.1",
                  "sympy": "1.14.0", "tqdm": "4.67.3"}
COLAB_PACKAGES = [f"{k}=={v}" for k, v in COLAB_VERSIONS.items()] + ["ipykernel", "nbclient"]


def _versions(py: Path) -> dict[str, str]:
    code = ("import json, importlib.metadata as m; print(json.dumps({n: m.version(n) for n in "
            f"{sorted(COLAB_VERSIONS) + ['torch']!r}}}))")
    return json.loads(subprocess.run([str(py), "-c", code], capture_output=True, text=True, check=True).stdout)


@pytest.fixture(scope="module")
def colab_python(tmp_path_factory) -> Path:
    if os.environ.get("SSMBOOK_SKIP_BOOK") == "1":
        pytest.skip("SSMBOOK_SKIP_BOOK=1: notebook execution skipped")
    env_dir = tmp_path_factory.mktemp("colab") / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    import torch  # the same torch release as the main environment (a local wheel here)

    torch_spec = f"torch=={torch.__version__}"
    pip = [str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run(pip + [torch_spec], check=True)
    subprocess.run(pip + COLAB_PACKAGES, check=True)
    # run from an empty directory: from the repository root, ``import ssmlib`` would
    # find the source folder on sys.path[0] and prove nothing
    probe = subprocess.run([str(py), "-c", "import ssmlib"], capture_output=True, cwd=env_dir)
    assert probe.returncode != 0, "ssmlib must not be preinstalled in the Colab-like venv"
    return py


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_chapter_runs_after_installing_ssmlib_itself(colab_python, path, tmp_path):
    env = {
        k: v for k, v in os.environ.items() if k not in ("SSMBOOK_STATIC", "VIRTUAL_ENV", "PYTHONPATH")
    }
    env.update(SSMLIB_SOURCE=ROOT.as_uri(), MPLBACKEND="module://matplotlib_inline.backend_inline")
    before = _versions(colab_python)
    code = (
        "import nbformat, sys\n"
        "from nbclient import NotebookClient\n"
        f"nb = nbformat.read({str(path)!r}, as_version=4)\n"
        f"NotebookClient(nb, timeout=900, kernel_name='python3', resources={{'metadata': {{'path': {str(tmp_path)!r}}}}}).execute()\n"
        "print('executed', len(nb.cells), 'cells')\n"
    )
    proc = subprocess.run([str(colab_python), "-c", code], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, f"{path.name} failed in the Colab-like env:\n{proc.stderr[-4000:]}"
    check = subprocess.run([str(colab_python), "-c", "import ssmlib; print(ssmlib.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path, env=env)
    assert check.returncode == 0, "the notebook's first cell did not install ssmlib"
    assert "site-packages" in check.stdout, f"ssmlib imported from {check.stdout!r}, not installed"
    # installing ssmlib kept Colab's packages (ipywidgets 7.7.1 above all: Colab renders 7.x)
    assert _versions(colab_python) == before
