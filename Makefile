# Thin wrapper around Meson/Ninja: `make`, `make demo`, `make test`.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
MESON_OPTS ?=

.PHONY: all deps test-deps build asan demo test unit fuzz bench install clean

all: build

deps:
	@sh scripts/deps.sh build

test-deps:
	@sh scripts/deps.sh test

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_OPTS)

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false $(MESON_OPTS)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

asan: deps $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)

# The walk-through on the bundled example zones (offline).
demo: build
	@sh examples/demo.sh $(BUILD)/src/inkan/inkan

# Everything: unit, conformance, fuzz-corpus replay, integration against
# real servers on loopback, interop with peers, then unit + conformance
# once more under ASan+UBSan.  The last line counts passes and failures.
test: test-deps build asan
	@sh tests/run.sh $(BUILD) $(ASAN_BUILD)

# Real libFuzzer binaries (clang): make fuzz, then see tests/fuzz/README.md.
fuzz: test-deps
	[ -f $(FUZZ_BUILD)/build.ninja ] || CC=clang meson setup $(FUZZ_BUILD) -Dfuzz=true \
		-Dtests=true -Db_sanitize=address,undefined -Db_lundef=false
	ninja -C $(FUZZ_BUILD)

bench: test-deps
	[ -f build-bench/build.ninja ] || meson setup build-bench -Dbench=true -Dtests=false -Dbuildtype=release
	ninja -C build-bench
	sh bench/run.sh build-bench
	sh bench/dkim_run.sh build-bench
	sh bench/verify_run.sh build-bench
	sh bench/report_run.sh build-bench
	sh bench/stsd_run.sh build-bench
	bash bench/survey_bench.sh build-bench

install: build
	meson install -C $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) build-bench
