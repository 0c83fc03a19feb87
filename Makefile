# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
AUDIT_VENV := .venv-audit
LOCK_VENV := .venv-lock
# The lock files: exact versions with their sha256 hashes, made from pyproject.toml by
# `make lock`. The image installs the production one, `make test` and CI the development one.
LOCK_PROD := requirements/production.txt
LOCK_DEV := requirements/dev.txt

.PHONY: demo test lint audit lock serve-prod clean

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Exactly the locked versions, every file checked against its hash; then the portal itself,
# whose dependencies the lock has already brought, built with the locked setuptools.
$(VENV)/.installed: pyproject.toml $(LOCK_DEV) | $(VENV)/bin/python
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK_DEV)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

demo: $(VENV)/.installed
	DJANGO_DEBUG=1 $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=1 $(PY) manage.py seed_demo
	DJANGO_DEBUG=1 $(PY) manage.py run_demo

test: $(VENV)/.installed
	$(PY) -m pytest $(PYTEST_ARGS)

# pip-audit needs the PyPI `requests` library, so it gets a virtualenv of its own and audits
# .venv from outside (see [dependency-groups] in pyproject.toml).
$(AUDIT_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(AUDIT_VENV)
	$(AUDIT_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(AUDIT_VENV)/bin/python -m pip install --quiet --group audit
	@touch $@

# Supply chain and code: known vulnerabilities (PyPI's advisory data) in every package .venv
# has installed, and bandit over the portal's code. Waivers: docs/security.md.
audit: $(VENV)/.installed $(AUDIT_VENV)/.installed
	$(VENV)/bin/bandit --quiet -c pyproject.toml -r portal acknowledgements requests
	PIPAPI_PYTHON_LOCATION=$(abspath $(PY)) $(AUDIT_VENV)/bin/pip-audit --skip-editable \
		--vulnerability-service pypi --progress-spinner off

# pip-tools gets a virtualenv of its own too: it is needed only to make the lock files.
$(LOCK_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/python -m pip install --quiet --group lock
	@touch $@

# Both lock files from pyproject.toml, for Python 3.11 on Linux (the image's and CI's), keeping
# the versions already locked where pyproject.toml still allows them. Each holds the setuptools
# that builds the portal itself ([build-system]) too. The development lock is constrained by the
# production one, so the two never disagree on a version. To move one package on:
# make lock LOCK_ARGS='--upgrade-package django'; everything: LOCK_ARGS=--upgrade
# (docs/operations.md).
PIP_COMPILE = $(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe \
	--strip-extras --no-emit-index-url --no-emit-find-links --resolver=backtracking $(LOCK_ARGS)
lock: $(LOCK_VENV)/.installed
	@$(LOCK_VENV)/bin/python -c 'import sys; assert sys.version_info[:2] == (3, 11), \
		"the lock is made for Python 3.11, the image'"'"'s: run with PYTHON=python3.11"'
	@mkdir -p requirements
	$(PIP_COMPILE) --build-deps-for wheel --output-file $(LOCK_PROD) pyproject.toml
	$(PIP_COMPILE) --build-deps-for editable --extra dev --constraint $(LOCK_PROD) \
		--output-file $(LOCK_DEV) pyproject.toml

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) $(AUDIT_VENV) $(LOCK_VENV) var staticfiles test-results
