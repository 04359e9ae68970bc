# ForgetPredict build, demo and test entry points. `make help` lists them.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
DOTNET ?= dotnet
CONFIG ?= Release
# Debian's python3 carries numpy/pandas; a pyenv python3 earlier on PATH would not.
PYTHON ?= /usr/bin/python3
CLI := $(DOTNET) run --project src/ForgetPredict.Cli -c $(CONFIG) --no-build --
RESULTS := .artifacts/test-results
APT_PACKAGES := python3-numpy python3-pandas python3-scipy python3-sklearn python3-matplotlib python3-nbconvert python3-ipykernel python3-snappy zstd chromium fonts-dejavu-core

.PHONY: help setup build demo test bench bench-smoke deps format golden notebooks fuzz clean

help:
	@echo "make setup        restore packages and build everything ($(CONFIG))"
	@echo "make demo         run the demo on the bundled charlm-b matrix"
	@echo "make test         install test tools, build, run every test and the benchmark smoke run"
	@echo "make bench        full BenchmarkDotNet run (slow; results in BenchmarkDotNet.Artifacts/)"
	@echo "make bench-smoke  every benchmark once, dry, in-process (part of make test)"
	@echo "make golden       regenerate data/golden/* with numpy, scipy and scikit-learn (notebooks/golden.py)"
	@echo "make notebooks    execute notebooks/*.ipynb headless (part of make test)"
	@echo "make fuzz         run every parser's fuzz test for FUZZ_SECONDS each (default 120; make test runs them for 5 s)"
	@echo "make format       check formatting (dotnet format --verify-no-changes)"

setup:
	$(DOTNET) restore ForgetPredict.sln
	$(DOTNET) build ForgetPredict.sln -c $(CONFIG) --no-restore

build:
	$(DOTNET) build ForgetPredict.sln -c $(CONFIG)

demo:
	@test -f src/ForgetPredict.Cli/bin/$(CONFIG)/net10.0/forgetpredict.dll || $(MAKE) --no-print-directory setup
	$(CLI) demo

# Reference tools for conformance tests and goldens (Debian packages). Installed only when missing.
deps:
	@if ! $(PYTHON) -c "import numpy, pandas, scipy, sklearn, matplotlib, nbconvert, ipykernel, snappy" >/dev/null 2>&1 \
	    || ! command -v zstd >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then \
	  echo "installing $(APT_PACKAGES) (apt)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	fi
	@test -d tests/browser/node_modules/playwright-core || (cd tests/browser && npm ci --no-audit --no-fund --silent)
	@# npm install, not ci: the registry serves only the linux-x64 DuckDB binding, so ci sees the lock as out of sync.
	@test -d tests/conformance/node_modules/@duckdb/node-api -a -d tests/conformance/node_modules/parquet-wasm \
	  || npm install --prefix tests/conformance --no-audit --no-fund --silent

test: deps build
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	@status=0; \
	FP_PYTHON=$(PYTHON) $(DOTNET) test ForgetPredict.sln -c $(CONFIG) --no-build \
	  --logger "trx" --results-directory $(RESULTS) 2>&1 | tee $(RESULTS)/dotnet-test.log || status=1; \
	extra_pass=0; extra_fail=0; \
	for check in bench-smoke notebooks; do \
	  if $(MAKE) --no-print-directory $$check > $(RESULTS)/$$check.log 2>&1; then \
	    extra_pass=$$((extra_pass+1)); echo "$$check: passed"; \
	  else extra_fail=$$((extra_fail+1)); echo "$$check: FAILED (see $(RESULTS)/$$check.log)"; tail -30 $(RESULTS)/$$check.log; fi; \
	done; \
	$(PYTHON) .ci/count-trx.py $(RESULTS) $$extra_pass $$extra_fail

bench:
	$(DOTNET) run --project tests/ForgetPredict.Benchmarks -c Release -- --filter '*'

bench-smoke:
	$(DOTNET) run --project tests/ForgetPredict.Benchmarks -c Release --no-build -- --smoke

notebooks: deps
	@test -f src/ForgetPredict.Cli/bin/$(CONFIG)/net10.0/forgetpredict.dll || $(MAKE) --no-print-directory build
	@mkdir -p .artifacts/notebooks
	PYDEVD_DISABLE_FILE_VALIDATION=1 FORGETPREDICT="$(DOTNET) $(CURDIR)/src/ForgetPredict.Cli/bin/$(CONFIG)/net10.0/forgetpredict.dll" NOTEBOOK_OUTPUT=$(CURDIR)/.artifacts/notebooks \
	  $(PYTHON) -m nbconvert --to notebook --execute --ExecutePreprocessor.timeout=600 --output-dir .artifacts/notebooks notebooks/*.ipynb

FUZZ_SECONDS ?= 120
fuzz: deps build
	FP_FUZZ_SECONDS=$(FUZZ_SECONDS) $(DOTNET) test tests/ForgetPredict.Data.Tests -c $(CONFIG) --no-build --filter "FullyQualifiedName~Fuzz"

golden: deps
	$(PYTHON) notebooks/golden.py data/golden

format:
	$(DOTNET) format ForgetPredict.sln --verify-no-changes

clean:
	$(DOTNET) clean ForgetPredict.sln -c $(CONFIG)
	rm -rf .artifacts
