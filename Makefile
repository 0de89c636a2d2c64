# Thin wrapper over CMake. `make demo` runs consultd on its embedded defaults;
# `make check` builds and runs every test; each installs what it needs first.
BUILD ?= build
BUILD_ASAN ?= build-asan
JOBS ?= 2

.PHONY: all deps-build deps-test build demo check check-asan check-format clean bench soak fuzz

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

# House style: every C file as .clang-format says (Debian 12's clang-format 14).
check-format: deps-test
	@bad=$$(git ls-files '*.c' '*.h' | while read -r f; do \
		clang-format --dry-run --Werror "$$f" >/dev/null 2>&1 || echo "$$f"; done); \
	if [ -n "$$bad" ]; then \
		echo "not clang-formatted (run clang-format -i on them):"; echo "$$bad"; exit 1; fi

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
# consultd under ASan, the test endpoints not: 30 webrtcbin endpoints, each
# encoding VP8, cannot keep up under ASan on 2 cores (their ICE times out).
soak: deps-test $(BUILD)/CMakeCache.txt
	@cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DCG_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD_ASAN) -j$(JOBS) --target consultd
	@cmake --build $(BUILD) -j$(JOBS) --target test-integration-soak
	@# No quarantine: freed memory comes back, so RSS growth is the daemon's own.
	@ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0:quarantine_size_mb=0:thread_local_quarantine_size_kb=0 \
		LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
		CG_CONSULTD=$(abspath $(BUILD_ASAN))/daemon/consultd CG_WEB_ROOT=$(CURDIR)/web CG_TEST_QUIET=1 \
		CG_TEST_TIMEOUT_SCALE=4 \
		CG_SOAK_SECONDS=$(SOAK_SECONDS) CG_SOAK_CONSULTS=$(SOAK_CONSULTS) \
		$(BUILD)/tests/integration/soak/test-integration-soak

# libFuzzer targets (docs/fuzzing.md): built with clang in $(BUILD_FUZZ), each
# run for FUZZ_SECONDS on a scratch copy of its corpus (tests/fuzz/corpus/ is
# not changed: copy a new reproducer there by hand). Crashes land in
# $(BUILD_FUZZ)/crashes/. FUZZ_TARGETS picks some; not part of `make check`.
BUILD_FUZZ ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= protocol admin jwt sdp candidate rtp srtp config
FUZZ_FLAGS = -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
# -max_len per target: a protocol message, an admin body, a token, an SDP,
# candidate lines, a datagram, an SRTP program, a config file.
fuzz_max_len_protocol = 16384
fuzz_max_len_admin = 8192
fuzz_max_len_jwt = 4096
fuzz_max_len_sdp = 16384
fuzz_max_len_candidate = 2048
fuzz_max_len_rtp = 1500
fuzz_max_len_srtp = 2048
fuzz_max_len_config = 8192

# One target: its scratch corpus starts empty and grows from the seeds.
fuzz_run = rm -rf $(BUILD_FUZZ)/corpus/$(1) && mkdir -p $(BUILD_FUZZ)/corpus/$(1) && \
	echo "== fuzz-$(1) for $(FUZZ_SECONDS) s" && \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 $(BUILD_FUZZ)/tests/fuzz/fuzz-$(1) \
	-max_total_time=$(FUZZ_SECONDS) -max_len=$(fuzz_max_len_$(1)) -print_final_stats=1 \
	-artifact_prefix=$(BUILD_FUZZ)/crashes/$(1)- $(BUILD_FUZZ)/corpus/$(1) tests/fuzz/corpus/$(1)

fuzz: deps-build
	@command -v clang >/dev/null || (apt-get update -qq && apt-get install -y -qq clang >/dev/null)
	@CC=clang cmake -S . -B $(BUILD_FUZZ) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCG_FUZZ=ON \
		-DCG_BROWSER_TESTS=OFF "-DCMAKE_C_FLAGS=$(FUZZ_FLAGS)" >/dev/null
	@cmake --build $(BUILD_FUZZ) -j$(JOBS) --target $(addprefix fuzz-,$(FUZZ_TARGETS))
	@mkdir -p $(BUILD_FUZZ)/crashes
	@$(foreach t,$(FUZZ_TARGETS),$(call fuzz_run,$(t)) && ) true

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)
