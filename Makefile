# circuitgrad: `make demo`, `make test`. Everything is installed into ./.venv
# (PyPI's unrelated `autograd` package must never shadow ours).

VENV   := .venv
SETUP  := bash scripts/setup.sh
# Same pin as the `oracle` extra: 2.13.0 is the local CPU wheel in /opt/wheels.
TORCH  := torch==2.13.0
# One worker per core. (BLAS thread counts are left to numpy: the tests hold for any of them.)
PYTEST_ARGS ?= -n auto

# Project commands see the venv's programs first (python, jupyter; viz finds graphviz-pure
# there by itself when set-up had no root).
RUN := PATH="$(CURDIR)/$(VENV)/bin:$$PATH"

.PHONY: demo test bench notebook oracle wheel clean
# All targets share one .venv: never let `make -j` run two installs into it at once.
.NOTPARALLEL:

demo: $(VENV)/.installed-demo
	$(RUN) $(VENV)/bin/circuitgrad demo

test: $(VENV)/.installed-test
	$(RUN) $(VENV)/bin/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed-bench
	$(RUN) $(VENV)/bin/python -m bench

# Jupyter refuses to run as root (the usual case in containers) without --allow-root.
notebook: $(VENV)/.installed-notebook
	$(RUN) $(VENV)/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/

oracle: $(VENV)/.installed-oracle

# The wheel (dist/circuitgrad-VERSION-py3-none-any.whl) for `pip install circuitgrad-*.whl` elsewhere,
# e.g. uploaded to a Colab notebook. pip fetches the build requirement (setuptools>=77) itself.
wheel:
	$(SETUP) venv
	rm -f dist/circuitgrad-*.whl
	$(VENV)/bin/pip wheel --no-deps -w dist .

# One stamp per extra: reinstall only when pyproject.toml or the setup script changes.
$(VENV)/.installed-%: pyproject.toml scripts/setup.sh
	$(SETUP) install $*
	$(SETUP) dot
	touch $@

# torch needs neither dot nor a reinstall of the project; exact pin, never a multi-GB CUDA build.
$(VENV)/.installed-oracle: pyproject.toml scripts/setup.sh
	$(SETUP) venv
	$(VENV)/bin/pip install "$(TORCH)"
	touch $@

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache out
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
