# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
AUDIT_VENV := .venv-audit

.PHONY: demo test lint audit serve-prod clean

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e '.[dev]'
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

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) $(AUDIT_VENV) var staticfiles test-results
