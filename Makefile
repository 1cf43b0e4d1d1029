# thrifttop — the two commands of the quick start are `make demo` and `make test`.
SHELL := /bin/bash
SWIFT_FLAGS := -Xswiftc -warnings-as-errors
DEMO_PACKAGES := libncurses-dev zlib1g-dev
# etcd: the tests start their own etcd (free loopback ports, data on tmpfs) and never use the
# packaged service, which some machines keep from starting at install.
TEST_PACKAGES := libncurses-dev zlib1g-dev python3-thrift thrift-compiler tmux prometheus etcd-server etcd-client
FUZZ_SECONDS ?= 60
FUZZ_SCRATCH := .build-fuzz
PREFIX ?= /usr/local

.PHONY: demo test build install uninstall screenshots fuzz bench deps-demo deps-test clean

## demo: the dashboard over the bundled demo cluster (fault-injecting servers + traffic, in-process)
demo: deps-demo
	swift build $(SWIFT_FLAGS) --product thrifttop
	"$$(swift build --show-bin-path)/thrifttop" --demo --scenario demo/scenario.toml

## test: every suite, warnings as errors (unit, live demo servers, Apache Thrift interop).
## Not in parallel: the live loopback and tmux tests would compete for the 2 cores.
## The crash tests kill the release binary, the one users run (its backtrace differs from debug).
test: deps-test
	scripts/check-imports.py
	swift build -c release --product thrifttop $(SWIFT_FLAGS)
	swift build --build-tests $(SWIFT_FLAGS)
	THRIFTTOP_RELEASE_BIN="$$(swift build -c release --show-bin-path)/thrifttop" \
	  swift test --skip-build --no-parallel $(SWIFT_FLAGS) 2>&1 | tee .build/test-output.txt; exit $${PIPESTATUS[0]}

build: deps-demo
	swift build $(SWIFT_FLAGS)

## install: the release binary to $(DESTDIR)$(PREFIX)/bin/thrifttop (PREFIX defaults to /usr/local)
install: deps-demo
	swift build -c release --product thrifttop $(SWIFT_FLAGS)
	install -D -m 755 "$$(swift build -c release --show-bin-path)/thrifttop" "$(DESTDIR)$(PREFIX)/bin/thrifttop"

uninstall:
	rm -f "$(DESTDIR)$(PREFIX)/bin/thrifttop"

## screenshots: docs/screen-*.txt and docs/screenshot.png from the release binary over the demo
## (tmux, Pillow; not part of `make test`). THRIFTTOP_BIN=PATH uses a binary already built.
screenshots: deps-demo
	@scripts/ensure-packages.sh tmux
	scripts/screenshots.sh

## fuzz: libFuzzer over the wire, THeader and JSON decoders, FUZZ_SECONDS each (default 60)
fuzz: deps-demo
	scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_SCRATCH)

## bench: pool CPU per 1,000 heartbeats vs a Python heartbeater, and 1,000/10,000 nodes (release build)
bench: deps-test
	@scripts/ensure-packages.sh haproxy
	scripts/bench.sh

deps-demo:
	@scripts/ensure-packages.sh $(DEMO_PACKAGES)

deps-test:
	@scripts/ensure-packages.sh $(TEST_PACKAGES)

clean:
	rm -rf .build $(FUZZ_SCRATCH)
