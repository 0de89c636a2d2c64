# Thin wrapper over CMake. `make demo` runs consultd on its embedded defaults;
# `make check` builds and runs every test; each installs what it needs first.
BUILD ?= build
BUILD_ASAN ?= build-asan
JOBS ?= 2

.PHONY: all deps-build deps-test build demo check check-asan clean bench soak

all: build

deps-build:
	@tools/install-deps.sh build

deps-test:
	@tools/install-deps.sh test

$(BUILD)/CMakeCache.txt:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: deps-build $(BUILD)/CMakeCache.txt
	@cmake --build $(BUILD) -j$(JOBS)

demo: build
	@tools/demo.sh $(BUILD)/daemon/consultd

check: deps-test $(BUILD)/CMakeCache.txt
	@cmake --build $(BUILD) -j$(JOBS)
	@ctest --test-dir $(BUILD) --output-on-failure

check-asan: deps-test
	@cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DCG_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD_ASAN) -j$(JOBS)
	@# Full unwinding so tests/lsan.supp can match the library-internal frames;
	@# child consultd processes inherit both settings. The tests' own deadlines
	@# are scaled (CG_TEST_TIMEOUT_SCALE): everything runs slower here.
	@CG_TEST_TIMEOUT_SCALE=4 ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0 \
		LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
		ctest --test-dir $(BUILD_ASAN) --output-on-failure --timeout 300

# Performance benchmark (tools/bench, docs/performance.md): consultd and Janus
# side by side; results under $(BUILD)/bench. Not part of `make check`.
bench: deps-build $(BUILD)/CMakeCache.txt
	@cmake --build $(BUILD) -j$(JOBS) --target consultd consult-bench cg_bench_lo_shim
	@tools/bench/run-bench.sh $(BUILD) $(BUILD)/bench

# Soak (tests/integration/soak): SOAK_SECONDS of churn across SOAK_CONSULTS
# consults under AddressSanitizer, RSS/fds/threads sampled, LeakSanitizer at
# the end. Not part of `make check` (its 3-minute version is).
SOAK_SECONDS ?= 1800
SOAK_CONSULTS ?= 10
soak: deps-test
	@cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DCG_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD_ASAN) -j$(JOBS) --target consultd test-integration-soak
	@ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0 \
		LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
		CG_CONSULTD=$(abspath $(BUILD_ASAN))/daemon/consultd CG_WEB_ROOT=$(CURDIR)/web CG_TEST_QUIET=1 \
		CG_TEST_TIMEOUT_SCALE=4 \
		CG_SOAK_SECONDS=$(SOAK_SECONDS) CG_SOAK_CONSULTS=$(SOAK_CONSULTS) \
		$(BUILD_ASAN)/tests/integration/soak/test-integration-soak

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)
