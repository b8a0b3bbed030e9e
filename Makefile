# Two commands do all the set-up on a fresh Debian machine: `make demo` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
APT_PACKAGES := mosquitto mosquitto-clients influxdb influxdb-client victoria-metrics chromium fonts-wqy-microhei socat nats-server
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck system venv clean screenshots fuzz bench-peers

# Debian packages the gateway, its demo and its tests run against; installed only when missing.
system:
	@missing=""; for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; done; \
	command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

$(STAMP): pyproject.toml dashboard/package.json
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	cd dashboard && npm install --no-audit --no-fund --silent
	touch $(STAMP)

venv: $(STAMP)

demo: system venv
	$(VENV)/bin/hazgw demo

# Lint first, so that pytest's summary is the last thing a run prints.
test: system venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) -m pytest -q -p no:cacheprovider tests

# Hostile input for longer than `make test` gives it: schemathesis against the live app
# (about 10 minutes, more examples per route) and the config-file property tests.
fuzz: system venv
	HAZGW_FUZZ_SECONDS=600 HAZGW_FUZZ_EXAMPLES=1000 HAZGW_FUZZ_PROPERTY_EXAMPLES=5000 \
	  $(PY) -m pytest -q -p no:cacheprovider tests/dashboard/auth/test_auth_fuzz.py tests/security

# The screenshots in docs/ (wall, console, phone), from the demo in Chromium. Not part of
# `make test`, which changes no tracked file.
screenshots: system venv
	$(PY) tests/dashboard/browser/screenshots.py

# hazgw side by side with the ThingsBoard IoT Gateway (installed once into its own venv
# under ~/.cache/hazgw-peers, never into .venv). Not part of `make test`.
bench-peers: system venv
	$(PY) benchmarks/peers/compare.py

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) dashboard/node_modules
