# trawl — the two commands in README.md, plus the pieces they are made of.
# Everything downloaded (ONNX Runtime, the embedding model) lives in $(TRAWL_HOME), not here.

TRAWL_HOME ?= $(HOME)/.cache/trawl
export TRAWL_HOME
INDEX ?= $(TRAWL_HOME)/indexes/corpora
ADDR ?= 127.0.0.1:7700
CARGO ?= cargo
TRAWL := ./target/release/trawl

.PHONY: run test setup build index serve check fmt doc clean-index ui-check

## run: set up, build, index corpora/ and serve the UI on http://$(ADDR)/
run: setup build
	$(TRAWL) index corpora --index "$(INDEX)"
	$(TRAWL) serve --index "$(INDEX)" --addr "$(ADDR)"

## test: what CI runs — formatting, lints, every test (with the real model and a real
## SolrCloud started by scripts/cluster.sh for the cluster crate's tests), docs
test: setup
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	bash scripts/cluster.sh up
	$(CARGO) test --workspace --locked
	$(CARGO) test --locked --test e2e -- --ignored --exact cluster::kill_9_of_a_node_under_search_load_loses_nothing_and_it_rejoins
	bash scripts/cluster.sh down
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps --locked

## setup: fetch and verify ONNX Runtime and the embedding model into $(TRAWL_HOME)
setup:
	bash scripts/setup.sh

build:
	$(CARGO) build --release --locked

index: setup build
	$(TRAWL) index corpora --index "$(INDEX)"

serve: build
	$(TRAWL) serve --index "$(INDEX)" --addr "$(ADDR)"

## ui-check: drive the web UI in headless Chromium (needs node, npm, chromium); screenshots in target/ui-check/
ui-check: setup
	bash scripts/ui-check.sh

fmt:
	$(CARGO) fmt --all

clean-index:
	rm -rf "$(INDEX)"
