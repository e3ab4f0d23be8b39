# ovpn-plugin-host — two commands set everything up: `make demo` and `make test`.
# Both install what they need (npm ci, Debian packages when run as root), build TypeScript and C, then run.

SHELL := /bin/bash
NODE ?= node
CC ?= gcc
OPENVPN_HEADER := /usr/include/openvpn/openvpn-plugin.h
DEB_PACKAGES := openvpn libssl-dev libpam-modules gcc valgrind
CFLAGS := -O2 -g -Wall -Wextra -fPIC

RUNTIME := build/native/libovph-runtime.so
FIXTURE_SRC := $(wildcard native-fixtures/*.c)
FIXTURES := $(patsubst native-fixtures/%.c,build/fixtures/%.so,$(filter-out native-fixtures/abi-layout.c native-fixtures/c-host.c,$(FIXTURE_SRC)))
TEST_FILES := $(shell find test -name "*.test.ts" | sort)

.PHONY: all build deps system-deps pack-deps prebuilt pack package-check test demo bench bench-doc parity clean check lint

all: build

# --- dependencies ---------------------------------------------------------
system-deps:
	@if [ ! -f $(OPENVPN_HEADER) ] || ! command -v $(CC) >/dev/null || [ ! -f /usr/include/openssl/x509.h ] || [ ! -f /usr/include/valgrind/memcheck.h ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "== installing Debian packages: $(DEB_PACKAGES)"; \
	    (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEB_PACKAGES) >/dev/null; \
	  else \
	    echo "missing $(OPENVPN_HEADER), gcc, OpenSSL or valgrind headers: run 'sudo apt-get install $(DEB_PACKAGES)' (or run make as root)" >&2; exit 2; \
	  fi; \
	fi

node_modules/.package-lock.json: package-lock.json package.json
	npm ci --no-audit --no-fund
	@touch $@

deps: system-deps node_modules/.package-lock.json

# --- build ----------------------------------------------------------------
build: deps dist/cli.cjs dist/bundle/cli.js $(RUNTIME) $(FIXTURES) build/fixtures/abi-layout build/fixtures/abi-layout-own

# tsc, then the CLI and the worker bundled (dist/bundle/: they start faster; scripts/bundle.mjs says how). The bundle
# is its own target, so that a `tsc` run by hand is bundled by the next make (until then the modules run: src/cli.cts).
dist/cli.cjs: $(shell find src -name '*.ts' -o -name '*.cts') tsconfig.json node_modules/.package-lock.json
	npx tsc -p tsconfig.json
	@chmod +x dist/cli.cjs

dist/bundle/cli.js: dist/cli.cjs scripts/bundle.mjs
	$(NODE) scripts/bundle.mjs

# The runtime declares the plugin ABI itself (plugin-abi.h): it needs no OpenVPN header to build.
$(RUNTIME): src/worker/native/runtime.c src/worker/native/plugin-abi.h | system-deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -shared -o $@ $< -lpthread

build/fixtures/%.so: native-fixtures/%.c native-fixtures/fixture.h | system-deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -shared -I/usr/include/openvpn -o $@ $< -lpthread -lcrypto

# The fixtures with the bugs real plugins ship are built as Debian builds its packages (dpkg-buildflags' hardening).
build/fixtures/bug-%.so: native-fixtures/bug-%.c native-fixtures/fixture.h | system-deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -D_FORTIFY_SOURCE=2 -fstack-protector-strong -shared -I/usr/include/openvpn -o $@ $< -lpthread -lcrypto

build/fixtures/abi-layout: native-fixtures/abi-layout.c | system-deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -I/usr/include/openvpn -o $@ $<

# The same layout printer against the runtime's own ABI declarations (compared with the real header's by the ABI test).
build/fixtures/abi-layout-own: native-fixtures/abi-layout.c src/worker/native/plugin-abi.h | system-deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DOWN_ABI_HEADER -Isrc/worker/native -o $@ $<

# --- the npm package: the runtime prebuilt for linux-x64 and linux-arm64 (glibc) and three demo plugins for each,
# built reproducibly (stripped, no build paths); `make pack` writes the tarball to build/ (npm pack runs it too) ---
PACK_DEB_PACKAGES := gcc-aarch64-linux-gnu
ARCHES := x64 arm64
CC_x64 := gcc
CC_arm64 := aarch64-linux-gnu-gcc
PREBUILT_CFLAGS := -O2 -Wall -Wextra -fPIC -shared -s -ffile-prefix-map=$(CURDIR)=.
DEMO_PLUGINS := auth-defer cc-v2-defer cc-v1-file
PREBUILT := $(foreach a,$(ARCHES),prebuilt/linux-$(a)/libovph-runtime.so $(foreach p,$(DEMO_PLUGINS),prebuilt/linux-$(a)/plugins/$(p).so))

pack-deps:
	@if ! command -v $(CC_arm64) >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "== installing Debian packages: $(PACK_DEB_PACKAGES)"; \
	    (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PACK_DEB_PACKAGES) >/dev/null; \
	  else \
	    echo "missing $(CC_arm64) (the arm64 cross compiler): run 'sudo apt-get install $(PACK_DEB_PACKAGES)' (or run make as root)" >&2; exit 2; \
	  fi; \
	fi

define prebuilt_rules
prebuilt/linux-$(1)/libovph-runtime.so: src/worker/native/runtime.c src/worker/native/plugin-abi.h | pack-deps
	@mkdir -p $$(dir $$@)
	$$(CC_$(1)) $$(PREBUILT_CFLAGS) -o $$@ $$< -lpthread
prebuilt/linux-$(1)/plugins/%.so: native-fixtures/%.c native-fixtures/fixture.h src/worker/native/plugin-abi.h | pack-deps
	@mkdir -p $$(dir $$@)
	$$(CC_$(1)) $$(PREBUILT_CFLAGS) -DOVPH_OWN_ABI_HEADER -Isrc/worker/native -o $$@ $$<
endef
$(foreach a,$(ARCHES),$(eval $(call prebuilt_rules,$(a))))

prebuilt: $(PREBUILT)

pack: dist/cli.cjs dist/bundle/cli.js prebuilt
	@mkdir -p build
	@rm -f build/ovpn-plugin-host-*.tgz
	npm pack --ignore-scripts --pack-destination build

# The tarball as a package: publint (package.json, files, exports) and arethetypeswrong (types resolve for consumers).
package-check: pack node_modules/.package-lock.json
	npm run --silent lint:package

# --- benchmarks (bench/run.ts; each prints our figure, the C baseline's, their ratio and a verdict) ---------
BENCH_HOST := build/bench/c-host

$(BENCH_HOST): native-fixtures/c-host.c | system-deps
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -Wextra -I/usr/include/openvpn -o $@ $< -ldl -lcrypto

bench: build $(BENCH_HOST)
	$(NODE) --import tsx bench/run.ts $(BENCH)

# every benchmark, then docs/performance.md written from this run's own results (no hand-kept figures)
bench-doc: build $(BENCH_HOST)
	$(NODE) --import tsx bench/run.ts --markdown docs/performance.md $(BENCH)

check: build
	npx tsc -p tsconfig.check.json

# --- guards (commands in package.json "lint:*"): import rules (dependency-cruiser, .dependency-cruiser.cjs), lint + format
# (Biome, biome.jsonc), unused files/exports/dependencies (knip, knip.jsonc). All three run; any failure fails. knip reads
# dist/ (bench/ imports it), so the TypeScript build comes first. `npm run format` applies Biome's formatting and safe fixes.
lint: node_modules/.package-lock.json dist/cli.cjs dist/bundle/cli.js
	@rc=0; \
	echo "== import rules (dependency-cruiser)"; npm run --silent lint:imports || rc=1; \
	echo "== lint + format (biome)"; npm run --silent lint:code || rc=1; \
	echo "== unused files, exports, dependencies (knip)"; npm run --silent lint:unused || rc=1; \
	exit $$rc

# --- the two commands -----------------------------------------------------
test: build check lint package-check
	$(NODE) --import tsx --test --test-concurrency=2 $(TEST_FILES)

# differential suite only: a real OpenVPN 2.6 server vs the host (needs root, /dev/net/tun, unshare; else SKIPPED, with why)
parity: build
	$(NODE) --import tsx --test test/parity/parity.test.ts

demo: build
	@echo "== inspect: which entry points, which ABI, which hooks (a v3 test plugin)"
	$(NODE) dist/cli.cjs inspect build/fixtures/v3-basic.so demo-arg
	@echo
	@echo "== call: one raw CLIENT_CONNECT_V2 call with OpenVPN 2.6.14's env; the plugin returns a 3-node list"
	$(NODE) dist/cli.cjs call build/fixtures/return-list.so --hook CLIENT_CONNECT_V2
	@echo
	@echo "== connect: a client's whole life; auth deferred through auth_control_file, then a deferred client-connect (v2)"
	$(NODE) dist/cli.cjs connect build/fixtures/auth-defer.so delay_ms=200 --plugin "build/fixtures/cc-v2-defer.so polls=3" --plugin build/fixtures/learn-address.so --username foo --password bar
	@echo
	@echo "== connect --stage client-connect: deferred client-connect, v1 file method (a forked grandchild writes '1' after 300 ms)"
	$(NODE) dist/cli.cjs connect build/fixtures/cc-v1-file.so delay_ms=300 --stage client-connect
	@echo
	@echo "== run: a scenario file (four clients at once, expectations on each), as CI would run it"
	$(NODE) dist/cli.cjs run examples/scenarios/concurrent-clients.json
	@echo
	@echo "== load: 2000 clients through their whole life, 200 at a time, each deferred at client-connect"
	$(NODE) dist/cli.cjs load build/fixtures/cc-v2-defer.so polls=2 --clients 2000 --concurrency 200

clean:
	rm -rf dist build prebuilt
