# ForgetPredict build, demo and test entry points. `make help` lists them.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
DOTNET ?= dotnet
CONFIG ?= Release
# Debian's python3 carries numpy/pandas; a pyenv python3 earlier on PATH would not.
PYTHON ?= /usr/bin/python3
CLI := $(DOTNET) run --project src/ForgetPredict.Cli -c $(CONFIG) --no-build --
RESULTS := .artifacts/test-results
APT_PACKAGES := python3-numpy python3-pandas python3-venv python3-setuptools python3-wheel python3-scipy python3-sklearn python3-matplotlib python3-nbconvert python3-ipykernel python3-snappy zstd chromium fonts-dejavu-core wrk curl

.PHONY: help setup build demo test bench bench-smoke deps format golden notebooks fuzz load clean python-venv python-test install pack api

help:
	@echo "make setup        restore packages and build everything ($(CONFIG))"
	@echo "make demo         run the demo on the bundled charlm-b matrix"
	@echo "make test         install test tools, build, run every test (the kernel tests again at 256 and 128 bits) and the benchmark smoke run"
	@echo "make bench        full BenchmarkDotNet run (slow; results in .artifacts/benchmarks/)"
	@echo "make bench-smoke  every benchmark once, dry, in-process (part of make test)"
	@echo "make golden       regenerate data/golden/* with numpy, scipy and scikit-learn (notebooks/golden.py)"
	@echo "make notebooks    execute notebooks/*.ipynb headless (part of make test)"
	@echo "make python-test  pip-install src/python into a venv (offline, Debian's python3) and run tests/python (part of make test)"
	@echo "make fuzz         run every parser's fuzz test for FUZZ_SECONDS each (default 120; make test runs them for 5 s)"
	@echo "make load         wrk against 'forgetpredict serve' with an 85 x 141,816 model: predict with 30 cells, LOAD_SECONDS (15) s; fails on any error"
	@echo "make format       check formatting and style (dotnet format --verify-no-changes; part of make test)"
	@echo "make install      PREFIX=DIR: DIR/bin/forgetpredict (ReadyToRun, framework-dependent; default PREFIX=$$HOME/.local)"
	@echo "make pack         NuGet packages of Core, Data, Reports, Frames and the .NET tool ForgetPredict.Tool in .artifacts/packages"
	@echo "make api          regenerate the public-API snapshot (tests/ForgetPredict.Library.Tests/Approved/PublicApi.approved.txt)"
	@echo "make deps         install the test tools when missing: Debian packages (numpy, pandas, chromium, wrk...) and the npm ones (part of make test)"
	@echo "make python-venv  a venv in .artifacts/python with the package from src/python installed (part of make python-test)"
	@echo "make clean        dotnet clean and remove .artifacts"

setup:
	$(DOTNET) restore ForgetPredict.sln
	$(DOTNET) build ForgetPredict.sln -c $(CONFIG) --no-restore

build:
	$(DOTNET) build ForgetPredict.sln -c $(CONFIG)

demo:
	@test -f src/ForgetPredict.Cli/bin/$(CONFIG)/net10.0/forgetpredict.dll || $(MAKE) --no-print-directory setup
	@$(CLI) demo

# Reference tools for conformance tests and goldens (Debian packages). Installed only when missing.
deps:
	@if ! $(PYTHON) -c "import numpy, pandas, scipy, sklearn, matplotlib, nbconvert, ipykernel, snappy, setuptools, wheel, ensurepip" >/dev/null 2>&1 \
	    || ! command -v zstd >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1 || ! command -v wrk >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1; then \
	  echo "installing $(APT_PACKAGES) (apt)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	fi
	@test -d tests/browser/node_modules/playwright-core || (cd tests/browser && npm ci --no-audit --no-fund --silent)
	@# npm install, not ci: the registry serves only the linux-x64 DuckDB binding, so ci sees the lock as out of sync.
	@# --no-save: install from the lock without rewriting it (a plain install rewrites the tracked package-lock.json).
	@# npm skips an optional dependency whose download fails (ECONNRESET) without an error, and DuckDB's native binding is
	@# one (so is polars'): check that DuckDB and polars load and parquet-wasm is there, and install again (up to three times) until they do.
	@for attempt in 1 2 3; do \
	  if (cd tests/conformance && node -e "require('@duckdb/node-api'); require('nodejs-polars')" && test -f node_modules/parquet-wasm/package.json) >/dev/null 2>&1; then exit 0; fi; \
	  npm install --prefix tests/conformance --no-audit --no-fund --silent --no-save || true; \
	done; \
	(cd tests/conformance && node -e "require('@duckdb/node-api'); require('nodejs-polars')" && test -f node_modules/parquet-wasm/package.json) >/dev/null 2>&1 \
	  || { echo "tests/conformance: DuckDB (@duckdb/node-api with its native binding @duckdb/node-bindings-linux-x64), parquet-wasm or polars (nodejs-polars with its native binding nodejs-polars-linux-x64-gnu) did not install from npm after three tries; check the registry and run make deps again"; exit 1; }

test: deps build
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	@status=0; \
	FP_PYTHON=$(PYTHON) $(DOTNET) test ForgetPredict.sln -c $(CONFIG) --no-build \
	  --logger "trx" --results-directory $(RESULTS) 2>&1 | tee $(RESULTS)/dotnet-test.log || status=1; \
	for width in 256 128; do \
	  if [ $$width = 256 ]; then isa="DOTNET_EnableAVX512F=0 DOTNET_EnableAVX512=0"; else isa="DOTNET_EnableAVX2=0"; fi; \
	  env $$isa FP_KERNEL_WIDTH=$$width $(DOTNET) test tests/ForgetPredict.Core.Tests -c $(CONFIG) --no-build --filter "FullyQualifiedName~Kernel" \
	    --logger "trx;LogFileName=kernels-$$width-bit.trx" --results-directory $(RESULTS) 2>&1 | tee $(RESULTS)/kernels-$$width-bit.log || status=1; \
	done; \
	extra_pass=0; extra_fail=0; \
	$(MAKE) --no-print-directory python-test > $(RESULTS)/python-test.log 2>&1 || { tail -30 $(RESULTS)/python-test.log; \
	  test -f $(RESULTS)/python.trx || { extra_fail=$$((extra_fail+1)); echo "python-test: FAILED before any test ran (see $(RESULTS)/python-test.log)"; }; }; \
	for check in bench-smoke notebooks format; do \
	  if $(MAKE) --no-print-directory $$check > $(RESULTS)/$$check.log 2>&1; then \
	    extra_pass=$$((extra_pass+1)); echo "$$check: passed"; \
	  else extra_fail=$$((extra_fail+1)); echo "$$check: FAILED (see $(RESULTS)/$$check.log)"; tail -30 $(RESULTS)/$$check.log; fi; \
	done; \
	$(PYTHON) .ci/count-trx.py $(RESULTS) $$extra_pass $$extra_fail

bench:
	$(DOTNET) run --project tests/ForgetPredict.Benchmarks -c Release -- --filter '*'

bench-smoke:
	$(DOTNET) run --project tests/ForgetPredict.Benchmarks -c Release --no-build -- --smoke

# The notebooks import the forgetpredict package: they run on a kernel of the package's venv (installed by python-venv).
notebooks: python-venv
	@mkdir -p .artifacts/notebooks
	PYDEVD_DISABLE_FILE_VALIDATION=1 $(PY_ENGINE) NOTEBOOK_OUTPUT=$(CURDIR)/.artifacts/notebooks JUPYTER_PATH=$(CURDIR)/$(PY_DIR)/venv/share/jupyter \
	  $(PY_DIR)/venv/bin/python -m nbconvert --to notebook --execute --ExecutePreprocessor.timeout=600 \
	  --ExecutePreprocessor.kernel_name=forgetpredict-venv --output-dir .artifacts/notebooks notebooks/*.ipynb

# The Python package (src/python) installed as a user would: a venv over Debian's python3 (numpy, pandas), pip without
# network or build isolation (Debian's setuptools builds it), from a copy so the build leaves nothing in src/python.
# tests/python/run.py writes python.trx beside the dotnet results, so every Python test is counted by make test.
PY_DIR := .artifacts/python
PY_ENGINE := FORGETPREDICT="$(DOTNET) $(CURDIR)/src/ForgetPredict.Cli/bin/$(CONFIG)/net10.0/forgetpredict.dll"
python-venv: deps
	@test -f src/ForgetPredict.Cli/bin/$(CONFIG)/net10.0/forgetpredict.dll || $(MAKE) --no-print-directory build
	@rm -rf $(PY_DIR) && mkdir -p $(PY_DIR) && cp -r src/python $(PY_DIR)/src && rm -rf $(PY_DIR)/src/build $(PY_DIR)/src/*.egg-info
	$(PYTHON) -m venv --system-site-packages $(PY_DIR)/venv
	$(PY_DIR)/venv/bin/pip install --quiet --no-index --no-build-isolation $(PY_DIR)/src
	$(PY_DIR)/venv/bin/python -m ipykernel install --prefix $(PY_DIR)/venv --name forgetpredict-venv > /dev/null

python-test: python-venv
	@mkdir -p $(RESULTS)
	cd $(PY_DIR) && FP_REPO_ROOT=$(CURDIR) $(PY_ENGINE) venv/bin/python $(CURDIR)/tests/python/run.py $(abspath $(RESULTS))

FUZZ_SECONDS ?= 120
fuzz: deps build
	FP_FUZZ_SECONDS=$(FUZZ_SECONDS) $(DOTNET) test tests/ForgetPredict.Data.Tests -c $(CONFIG) --no-build --filter "FullyQualifiedName~Fuzz"

# Load test of the query service: a synthetic 85 x 141,816 matrix fitted with mf rank 5 into a store, served on loopback,
# and wrk POSTing predict queries with 30 measured cells (tests/ForgetPredict.Server.Tests/load). Prints requests/s and
# latency percentiles; fails when any request errs or answers non-2xx.
LOAD_DIR := .artifacts/load
LOAD_SECONDS ?= 15
LOAD_CONNECTIONS ?= 16
LOAD_PORT ?= 5099
load: deps build
	@mkdir -p $(LOAD_DIR)/store
	@test -f $(LOAD_DIR)/store/big.fpm || { \
	  $(CLI) synth --rows 85 --cols 141816 --seed 42 --out $(LOAD_DIR)/z.npy --examples-out $(LOAD_DIR)/store/big.examples.csv && \
	  $(CLI) fit $(LOAD_DIR)/z.npy --method mf --rank 5 --out $(LOAD_DIR)/store/big.fpm; }
	@$(DOTNET) src/ForgetPredict.Cli/bin/$(CONFIG)/net10.0/forgetpredict.dll serve --store $(LOAD_DIR)/store --urls http://127.0.0.1:$(LOAD_PORT) > $(LOAD_DIR)/serve.log 2>&1 & \
	server=$$!; trap 'kill $$server 2>/dev/null; wait $$server 2>/dev/null || true' EXIT; \
	warm() { for i in $$(seq 1 300); do "$$@" && return 0; kill -0 $$server 2>/dev/null || break; sleep 0.2; done; \
	  echo "load: the server did not answer '$${*: -1}' (see $(LOAD_DIR)/serve.log)"; return 1; }; \
	warm curl -sf -o /dev/null --max-time 5 http://127.0.0.1:$(LOAD_PORT)/healthz; \
	warm curl -sf -o /dev/null --max-time 30 -H 'Content-Type: application/json' --data @tests/ForgetPredict.Server.Tests/load/predict-body.json http://127.0.0.1:$(LOAD_PORT)/v1/models/big/predict; \
	cd tests/ForgetPredict.Server.Tests/load && FP_MODEL=big wrk -t1 -c8 -d2s -s predict.lua http://127.0.0.1:$(LOAD_PORT) > /dev/null; \
	FP_MODEL=big wrk -t1 -c$(LOAD_CONNECTIONS) -d$(LOAD_SECONDS)s --timeout 5s --latency -s predict.lua http://127.0.0.1:$(LOAD_PORT) | tee $(CURDIR)/$(LOAD_DIR)/wrk.txt; \
	result=$$(tail -1 $(CURDIR)/$(LOAD_DIR)/wrk.txt); \
	$(PYTHON) -c 'import json,sys; r=json.loads(sys.argv[1]); print("load: %.0f requests/s, p99 %.1f ms, %d errors (%d non-2xx) in %d requests" % (r["requestsPerSecond"], r["p99Ms"], r["errors"], r["non2xx"], r["requests"])); sys.exit(1 if r["errors"] or r["requests"] == 0 else 0)' "$$result"

# The installed command: a framework-dependent ReadyToRun publish (needs the .NET 10 runtime; its native launcher finds it
# through DOTNET_ROOT or the standard install location) in PREFIX/lib/forgetpredict, linked from PREFIX/bin.
PREFIX ?= $(HOME)/.local
install:
	$(DOTNET) publish src/ForgetPredict.Cli -c $(CONFIG) -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
	  -o $(PREFIX)/lib/forgetpredict
	@mkdir -p $(PREFIX)/bin && ln -sf ../lib/forgetpredict/forgetpredict $(PREFIX)/bin/forgetpredict
	@echo "installed $(PREFIX)/bin/forgetpredict; put $(PREFIX)/bin on PATH"

pack:
	$(DOTNET) pack ForgetPredict.sln -c $(CONFIG)
	@ls .artifacts/packages

api:
	$(DOTNET) build tests/ForgetPredict.Library.Tests -c $(CONFIG)
	FP_UPDATE_API=1 $(DOTNET) test tests/ForgetPredict.Library.Tests -c $(CONFIG) --no-build --filter "FullyQualifiedName~PublicApi"

golden: deps
	$(PYTHON) notebooks/golden.py data/golden

format:
	$(DOTNET) format ForgetPredict.sln --verify-no-changes

clean:
	$(DOTNET) clean ForgetPredict.sln -c $(CONFIG)
	rm -rf .artifacts
