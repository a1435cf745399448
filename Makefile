# ssmbook: two commands set everything up on a fresh machine.
#   make test   create .venv if needed, install, run the tests (including a full book build)
#   make book   create .venv if needed, install, execute every chapter, build _build/html
# Other targets: make lab (JupyterLab on the book), make clean, make bench.

SHELL      := /bin/bash
PYTHON     ?= python3
VENV       ?= .venv
PY         := $(VENV)/bin/python
# requirements.txt is ssmlib with every extra (`-e .[torch,gpu,accel,book,test]`; pyproject.toml declares
# them). Torch is installed before the rest so that the extra's range (torch>=2.2, which Colab's
# preinstalled torch satisfies) does not pull a multi-GB CUDA build. On this project's machines
# torch==2.13.0 is a local CPU wheel; override elsewhere, e.g. `make test TORCH_SPEC=torch`.
TORCH_SPEC ?= torch==2.13.0
MATHJAX_VERSION ?= 3.2.2
MATHJAX_DIR := book/_static/mathjax
STAMP      := $(VENV)/.ssmbook-installed
JB_FLAGS   ?= -W --keep-going

.PHONY: test book lab clean bench env mathjax

env: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	@$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q "$(TORCH_SPEC)"
	$(PY) -m pip install -q -r requirements.txt
	@touch $@

# MathJax is vendored from the npm registry into the build so the book renders offline.
mathjax: $(MATHJAX_DIR)/tex-chtml.js

$(MATHJAX_DIR)/tex-chtml.js:
	@rm -rf $(MATHJAX_DIR) && mkdir -p $(MATHJAX_DIR)
	@tmp=$$(mktemp -d) && cd $$tmp && npm pack -q mathjax@$(MATHJAX_VERSION) >/dev/null && \
	  tar xzf mathjax-$(MATHJAX_VERSION).tgz && cd - >/dev/null && \
	  cp $$tmp/package/es5/tex-chtml.js $(MATHJAX_DIR)/ && \
	  cp -r $$tmp/package/es5/input $$tmp/package/es5/output $$tmp/package/es5/ui \
	        $$tmp/package/es5/a11y $$tmp/package/es5/adaptors $(MATHJAX_DIR)/ && \
	  cp $$tmp/package/LICENSE $(MATHJAX_DIR)/ && rm -rf $$tmp
	@echo "vendored MathJax $(MATHJAX_VERSION) into $(MATHJAX_DIR)"

book: $(STAMP) mathjax
	SSMBOOK_STATIC=1 $(VENV)/bin/jupyter-book build . $(JB_FLAGS)
	@echo "Book: _build/html/index.html"

test: $(STAMP) mathjax
	$(VENV)/bin/pytest

bench: $(STAMP)
	$(PY) benchmarks/scan.py --quick

lab: $(STAMP)
	@$(PY) -c "import jupyterlab" 2>/dev/null || $(PY) -m pip install -q jupyterlab
	$(VENV)/bin/jupyter lab book/

clean:
	rm -rf _build .pytest_cache $(MATHJAX_DIR)
	find . -name __pycache__ -not -path "./$(VENV)/*" -prune -exec rm -rf {} +
