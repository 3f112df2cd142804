# Mulin Live — the two commands a newcomer needs: `make run` and `make test`.
# Every setup step says what it does and is skipped when already done.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

TOOLS       := $(CURDIR)/.tools
CARGO_BIN   := $(or $(CARGO_HOME),$(HOME)/.cargo)/bin
export PATH := $(TOOLS)/node_modules/.bin:$(CARGO_BIN):$(PATH)
export TRUNK_SKIP_VERSION_CHECK := true

TRUNK_VERSION    := 0.21.14
BINARYEN_VERSION := 132
TERSER_VERSION   := 5.51.4
# wasm-bindgen-cli must equal the wasm-bindgen in Cargo.lock exactly.
WASM_BINDGEN_VERSION = $(shell awk '/^name = "wasm-bindgen"$$/ { getline; gsub(/"/, "", $$3); print $$3; exit }' Cargo.lock)

# Root installs system packages directly; anyone else goes through sudo.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
say = printf '\033[1;34m==>\033[0m %s\n'

BIND ?= 127.0.0.1:3000
DB   ?= data/mulin.db

.PHONY: help run test component-tests bench widget setup wasm-tools browser postgres node peers lint clean

help:
	@echo "make run    build the widget and start Mulin Live on http://$(BIND) with a demo show"
	@echo "make test   run every test, including real-Chromium browser tests"
	@echo "make bench  run the order-spike benchmarks and rewrite docs/BENCHMARKS.md"
	@echo "make lint   cargo fmt --check and clippy"

## run: install what is missing, build the widget and the server (release), start with the demo show.
run: widget
	@$(say) "building the server (release)"
	cargo build --release -p mulin-backend --bin mulin
	@$(say) "starting Mulin Live on http://$(BIND) (database $(DB))"
	./target/release/mulin serve --demo --bind $(BIND) --db $(DB) --dist dist

## test: everything — unit, WebSocket integration, and browser tests in headless Chromium.
test: widget browser
	@$(say) "checking the widget's size budget (wasm + js + css, gzipped)"
	tests/widget_size.sh
	@$(say) "building mulin for the tests that run it as a process (crash test)"
	cargo build -p mulin-backend --bin mulin --locked
	@$(say) "running the tests"
	cargo test --workspace --locked
	@$(MAKE) --no-print-directory component-tests

## component-tests: the widget's parts in headless Chromium (wasm-bindgen-test). The runner reads
## frontend/webdriver.json (headless, no sandbox) from the crate's folder.
component-tests: wasm-tools browser
	@$(say) "running the widget's component tests in headless Chromium (wasm-bindgen-test)"
	cd frontend && CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
	  CHROMEDRIVER="$$(command -v chromedriver)" WASM_BINDGEN_TEST_TIMEOUT=120 \
	  cargo test --target wasm32-unknown-unknown --test components --locked

## bench: spike scenarios against the release server, batching off, and PostgreSQL via pgbench;
## fan-out to 10,000 viewers against Mulin Live, a Node.js ws peer and the floor peer; page load
## (Lighthouse, visits, compression) against the built widget.
bench: widget browser postgres peers
	@$(say) "building the server, the load generator and the floor peer (release)"
	cargo build --release --locked -p mulin-backend --bin mulin -p mulin-tests --bin spike --bin floor-peer --example store_commit --example ws_deflate
	@$(say) "running the benchmarks (about 22 minutes)"
	tests/bench/bench.sh

## node: Node.js and npm: wasm-opt comes from npm, the build precompresses with Node's zlib, and
## the benchmarks' peers run on it.
node:
	@if command -v node >/dev/null && command -v npm >/dev/null; then \
	  $(say) "node, npm: present"; \
	else \
	  $(say) "installing Node.js and npm (apt)"; \
	  $(SUDO) apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nodejs npm; \
	fi

## peers: the ws peer's packages, for the fan-out comparison, and Lighthouse (pinned), for the
## page-load scores in `make bench`.
peers: node
	@if [ -d tests/peers/ws-broadcast/node_modules/ws ]; then \
	  $(say) "ws peer packages: present"; \
	else \
	  $(say) "installing the ws peer's packages (npm ci, tests/peers/ws-broadcast)"; \
	  cd tests/peers/ws-broadcast && npm ci --no-audit --no-fund; \
	fi
	@if [ -f tests/peers/lighthouse/node_modules/lighthouse/package.json ]; then \
	  $(say) "lighthouse 12.2.3: present"; \
	else \
	  $(say) "installing Lighthouse 12.2.3 (npm ci, tests/peers/lighthouse; about 20 s)"; \
	  cd tests/peers/lighthouse && npm ci --no-audit --no-fund --loglevel=error; \
	fi

## postgres: PostgreSQL server binaries and pgbench, for the comparison in `make bench`.
postgres:
	@if command -v initdb >/dev/null && command -v pgbench >/dev/null && command -v psql >/dev/null; then \
	  $(say) "postgresql, pgbench: present"; \
	else \
	  $(say) "installing postgresql (apt)"; \
	  $(SUDO) apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql postgresql-contrib; \
	fi

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

## widget: the resident widget (dist/) and the staff console (dist/console/), built by Trunk in
## release mode. The console is built second: a widget build replaces all of dist/.
widget: wasm-tools
	@$(say) "building the resident widget (trunk build --release)"
	trunk build --release --offline
	@$(say) "building the staff console (trunk build --release frontend/console.html)"
	trunk build frontend/console.html --release --offline --dist dist/console --public-url /console/
	@$(say) "minifying the JS glue and precompressing dist/ (brotli and gzip beside each file)"
	node frontend/postbuild.mjs dist $(TOOLS)/node_modules

## wasm-tools: the wasm32 target, trunk, wasm-bindgen-cli and wasm-opt, at pinned versions.
wasm-tools: node
	@# Checks capture output instead of piping into `grep -q`: under pipefail an early-exiting grep
	@# kills the writer with SIGPIPE and the check fails although the tool is there.
	@if [[ "$$(rustup target list --installed)" == *wasm32-unknown-unknown* ]]; then \
	  $(say) "wasm32 target: present"; \
	else \
	  $(say) "adding the wasm32-unknown-unknown target"; rustup target add wasm32-unknown-unknown; \
	fi
	@if [[ "$$(trunk --version 2>/dev/null)" == *" $(TRUNK_VERSION)" ]]; then \
	  $(say) "trunk $(TRUNK_VERSION): present"; \
	else \
	  $(say) "installing trunk $(TRUNK_VERSION) (about 5 minutes on 2 cores)"; \
	  cargo install trunk --version $(TRUNK_VERSION) --locked; \
	fi
	@if [[ "$$(wasm-bindgen --version 2>/dev/null)" == *" $(WASM_BINDGEN_VERSION)" ]]; then \
	  $(say) "wasm-bindgen-cli $(WASM_BINDGEN_VERSION): present"; \
	else \
	  $(say) "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) (matches Cargo.lock)"; \
	  cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); \
	fi
	@if [[ "$$(wasm-opt --version 2>/dev/null)" == *"version $(BINARYEN_VERSION)"* ]]; then \
	  $(say) "wasm-opt $(BINARYEN_VERSION): present"; \
	else \
	  $(say) "installing binaryen $(BINARYEN_VERSION) (wasm-opt) from npm into .tools/"; \
	  mkdir -p $(TOOLS); npm install --prefix $(TOOLS) --no-audit --no-fund --loglevel=error binaryen@$(BINARYEN_VERSION); \
	fi
	@if [ "$$(node -p 'require("$(TOOLS)/node_modules/terser/package.json").version' 2>/dev/null)" = "$(TERSER_VERSION)" ]; then \
	  $(say) "terser $(TERSER_VERSION): present"; \
	else \
	  $(say) "installing terser $(TERSER_VERSION) (minifies the JS glue) from npm into .tools/"; \
	  mkdir -p $(TOOLS); npm install --prefix $(TOOLS) --no-audit --no-fund --loglevel=error terser@$(TERSER_VERSION); \
	fi

## browser: Debian's Chromium and ChromeDriver, plus CJK fonts so Chinese renders in screenshots.
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null && [ -n "$$(fc-list :lang=zh 2>/dev/null)" ]; then \
	  $(say) "chromium, chromedriver, CJK fonts: present"; \
	else \
	  $(say) "installing chromium, chromium-driver and fonts-noto-cjk (apt)"; \
	  $(SUDO) apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver fonts-noto-cjk; \
	fi

clean:
	cargo clean
	rm -rf dist
