# pyflame — a sampling profiler for Python.  `make help` lists the targets.
.DELETE_ON_ERROR:
.SUFFIXES:

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
DESTDIR ?=

CC      ?= cc
BUILD   ?= build
PKGS    := libseccomp libcap zlib libdw liblzma
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wformat=2 -Wno-format-nonliteral
CFLAGS  ?= -O2 -g
LDFLAGS ?=
ALL_CFLAGS  = -std=c11 -D_GNU_SOURCE -Iinclude $(WARN) $(CPPFLAGS) $(CFLAGS) \
              $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS_PF   = $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lseccomp -lcap -lz -ldw -lelf -llzma) -lm
# STATIC=1 links the pyflame binary with libseccomp, libcap, zlib and libdw (with libelf,
# liblzma, libbz2) from their static archives (Debian's -dev packages ship them), glibc
# staying shared: the wheel's binary, which must run where none of them is installed.
ifeq ($(STATIC),1)
LDLIBS_BIN  = -Wl,-Bstatic $(shell pkg-config --libs --static $(PKGS) 2>/dev/null || \
              echo -lseccomp -lcap -lz -ldw -lelf -llzma -lbz2) -Wl,-Bdynamic -lm
else
LDLIBS_BIN  = $(LDLIBS_PF)
endif

VERSION := $(shell sed -n 's/^\#define PYFLAME_VERSION "\(.*\)"/\1/p' include/pyflame/version.h)
# The commit pyflame is built from, for --version: "unknown" unless this directory is the
# top of a git work tree (a release tarball unpacked inside another repository must not
# take that one's commit); "-dirty" when tracked files differ from it.
GIT_COMMIT := $(or $(shell p=$$(git rev-parse --show-prefix 2>/dev/null) && [ -z "$$p" ] && \
              c=$$(git rev-parse --short=12 HEAD 2>/dev/null) && \
              { git diff --quiet HEAD -- 2>/dev/null && echo $$c || echo $$c-dirty; }),unknown)
LDLIBS_TEST = $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-6s %s\n' $(1) $(2)
endif

LIB_SRCS  := $(filter-out src/main.c,$(wildcard src/*.c))
LIB_OBJS  := $(LIB_SRCS:src/%.c=$(BUILD)/obj/%.o)
TEST_SRCS := $(wildcard tests/test_*.c)
TEST_BINS := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
HEADERS   := $(wildcard include/pyflame/*.h)
# Small programs the CLI tests run (not unit tests).
HELPER_SRCS := $(wildcard tests/helpers/*.c)
HELPER_BINS := $(HELPER_SRCS:tests/helpers/%.c=$(BUILD)/helpers/%) \
               $(patsubst tests/preload/%.c,$(BUILD)/helpers/%.so,$(wildcard tests/preload/*.c))

.PHONY: all
all: $(BUILD)/pyflame $(BUILD)/ptrace-floor $(BUILD)/wakeup-floor

$(BUILD)/obj/%.o: src/%.c $(HEADERS) | $(BUILD)/obj
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libpyflame.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/pyflame: $(BUILD)/obj/main.o $(BUILD)/libpyflame.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_BIN)

# cli.c alone knows the commit; $(BUILD)/commit is rewritten only when it changes, so
# cli.o is rebuilt then and only then (git's GIT-VERSION-FILE).
$(BUILD)/commit: FORCE | $(BUILD)/obj
	$(Q)echo '$(GIT_COMMIT)' | cmp -s - $@ || echo '$(GIT_COMMIT)' >$@
$(BUILD)/obj/cli.o: $(BUILD)/commit
$(BUILD)/obj/cli.o: ALL_CFLAGS += -DPYFLAME_COMMIT='"$(GIT_COMMIT)"'

.PHONY: FORCE
FORCE:

$(BUILD)/tests/%: tests/%.c tests/testutil.h $(BUILD)/libpyflame.a | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(BUILD)/libpyflame.a $(LDLIBS_TEST) $(LDLIBS_PF)

$(BUILD)/helpers/%: tests/helpers/%.c | $(BUILD)/helpers
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(LDLIBS_PF)

# Libraries the CLI tests preload into pyflame (a compromised sampler).
$(BUILD)/helpers/%.so: tests/preload/%.c | $(BUILD)/helpers
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -fPIC -shared -o $@ $< -ldl

$(BUILD)/obj $(BUILD)/tests $(BUILD)/helpers:
	$(Q)mkdir -p $@

.PHONY: unit tests bats check deps demo install uninstall clean san lint help clang bench-smoke \
	stress-san cpython-tests pythons
tests: $(TEST_BINS) $(HELPER_BINS)

unit: $(TEST_BINS)
	$(Q)scripts/run-unit.sh $(TEST_BINS)

bats: $(BUILD)/pyflame $(HELPER_BINS)
	$(Q)scripts/deps.sh --check-only test >/dev/null || scripts/deps.sh test
	$(Q)PYFLAME=$(abspath $(BUILD)/pyflame) PYFLAME_HELPERS=$(abspath $(BUILD)/helpers) \
		bats --print-output-on-failure bats/

# Everything a contributor must keep green: unit tests (plain and sanitized), a clang
# build with warnings as errors, the fuzzers' regression inputs, the CLI tests, a few
# seconds of the benchmark suite (to keep it working; its figures are not judged), and the
# wheel and .deb installed and used.  Real CPython builds the system lacks
# (3.14, 3.15) are fetched first, once, into a cache outside the checkout; where that
# cannot be done the tests run on what there is, and say what was skipped.
check:
	$(Q)scripts/deps.sh test
	$(Q)$(MAKE) --no-print-directory pythons
	$(Q)$(MAKE) --no-print-directory all unit
	$(Q)$(MAKE) --no-print-directory san
	$(Q)$(MAKE) --no-print-directory clang
	$(Q)$(MAKE) --no-print-directory fuzz-regress
	$(Q)$(MAKE) --no-print-directory bats
	$(Q)$(MAKE) --no-print-directory stress-san
	$(Q)$(MAKE) --no-print-directory bench-smoke
	$(Q)$(MAKE) --no-print-directory check-packages

# Every source with clang too (C11, -Werror): skipped, saying so, where clang is missing.
clang:
	$(Q)if command -v clang >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory CC=clang BUILD=build/clang all tests; \
	else echo "clang: not installed, skipped"; fi

# Unit tests under AddressSanitizer and UndefinedBehaviorSanitizer, in their own build tree.
san:
	$(Q)$(MAKE) --no-print-directory BUILD=build/san \
		CFLAGS="$(SAN_FLAGS)" unit

# The stress suite (bats/110-stress.bats: threads + shells, vfork, exec chains, fork
# storms, daemons, multiprocessing) and --native on hostile CFI and garbage .eh_frame
# (bats/141-native-hostile.bats) against a pyflame binary built with AddressSanitizer
# and UndefinedBehaviorSanitizer: a memory error in the tracer or the unwinder fails it.  Leak checking
# is off: LeakSanitizer stops the process's threads with ptrace at exit, which the
# sandbox refuses (the run would die of SIGSYS); the unit tests under `san` check leaks.
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
stress-san:
	$(Q)$(MAKE) --no-print-directory BUILD=build/san CFLAGS="$(SAN_FLAGS)" build/san/pyflame
	$(Q)$(MAKE) --no-print-directory $(HELPER_BINS)
	$(Q)PYFLAME=$(abspath build/san/pyflame) PYFLAME_HELPERS=$(abspath $(BUILD)/helpers) \
		ASAN_OPTIONS=abort_on_error=1:detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 STRESS_TIMEOUT=600 \
		bats --print-output-on-failure bats/110-stress.bats bats/141-native-hostile.bats

# CPython's own subprocess, os, threading, signal and multiprocessing tests without and
# under pyflame on the two newest local interpreters with the test package: the same
# results (scripts/cpython-tests.sh).  Minutes: run by .ci/run, not by make check.
cpython-tests: $(BUILD)/pyflame
	$(Q)scripts/cpython-tests.sh $(BUILD)/pyflame 2

deps:
	$(Q)scripts/deps.sh build

# Real CPython 3.14 and 3.15 builds (PIE, non-PIE, debug, shared libpython) for the tests,
# from Debian unstable, in $${PYFLAME_PYTHONS_DIR:-~/.cache/pyflame/pythons}; never fails.
# PYFLAME_FETCH_PYTHONS=0 skips it.
pythons:
	$(Q)if [ "$${PYFLAME_FETCH_PYTHONS:-1}" = 0 ]; then \
		echo "pythons: PYFLAME_FETCH_PYTHONS=0, not fetched"; \
	else scripts/fetch-pythons.sh; fi

demo:
	$(Q)scripts/deps.sh build
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh $(BUILD)/pyflame

install: $(BUILD)/pyflame
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(COMPLETIONDIR)
	install -m 0755 $(BUILD)/pyflame $(DESTDIR)$(BINDIR)/pyflame
	install -m 0644 docs/pyflame.1 $(DESTDIR)$(MANDIR)/man1/pyflame.1
	install -m 0644 completion/pyflame.bash $(DESTDIR)$(COMPLETIONDIR)/pyflame

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/pyflame $(DESTDIR)$(MANDIR)/man1/pyflame.1 \
		$(DESTDIR)$(COMPLETIONDIR)/pyflame

# --- packages: a wheel for pip, a .deb for apt (README: Installing) ------------------------
# Both are built with Debian's hardening flags in trees of their own.  The wheel's binary
# links libseccomp, libcap, zlib and libdw statically (it must run where they are not installed;
# glibc stays shared, its floor sets the manylinux tag); the .deb's links them dynamically
# and depends on their packages.  check-packages installs each and profiles through it.
DIST ?= dist
HARDEN = DEB_BUILD_MAINT_OPTIONS=hardening=+all
HARDEN_FLAGS = CFLAGS="$$($(HARDEN) dpkg-buildflags --get CFLAGS)" \
               CPPFLAGS="$$($(HARDEN) dpkg-buildflags --get CPPFLAGS)" \
               LDFLAGS="$$($(HARDEN) dpkg-buildflags --get LDFLAGS)"

.PHONY: wheel deb check-packages
wheel:
	$(Q)scripts/deps.sh package
	$(Q)$(MAKE) --no-print-directory BUILD=build/wheel STATIC=1 $(HARDEN_FLAGS) build/wheel/pyflame
	$(Q)strip --strip-unneeded -o build/wheel/pyflame.stripped build/wheel/pyflame
	$(Q)rm -f $(DIST)/pyflame-*.whl
	$(Q)python3 scripts/mkwheel.py --binary build/wheel/pyflame.stripped --version $(VERSION) \
		--man docs/pyflame.1 --completion completion/pyflame.bash --readme README.md --out $(DIST)

deb:
	$(Q)scripts/deps.sh package
	$(Q)$(MAKE) --no-print-directory BUILD=build/deb $(HARDEN_FLAGS) build/deb/pyflame
	$(Q)rm -f $(DIST)/pyflame_*.deb
	$(Q)scripts/mkdeb.sh build/deb/pyflame $(VERSION) $(DIST)

# Install the wheel into a venv of every local CPython 3 and the .deb with dpkg (root),
# profile through each, remove each, and check what it leaves (scripts/check-packages.sh).
check-packages: wheel deb
	$(Q)scripts/deps.sh test
	$(Q)scripts/check-packages.sh $(DIST)

clean:
	rm -rf build $(DIST)

help:
	@echo 'make            build build/pyflame'
	@echo 'make demo       profile examples/demo.py and print where the flame graph is'
	@echo 'make check      install test deps, run unit tests (plain + ASan/UBSan) and bats tests'
	@echo 'make unit|san|bats|stress-san  one part of check (stress-san: the stress suite on an ASan/UBSan binary)'
	@echo 'make cpython-tests  the subprocess/os/threading/signal/multiprocessing tests of CPython under pyflame (minutes)'
	@echo 'make pythons    fetch real CPython 3.14/3.15 builds for the tests (scripts/fetch-pythons.sh)'
	@echo 'make install    install to $$(DESTDIR)$$(PREFIX) (default /usr/local)'
	@echo 'make wheel|deb  dist/pyflame-*.whl (pip) or dist/pyflame_*.deb (apt)'
	@echo 'make check-packages  build both, install each, profile through it, remove it'

.PHONY: check-consumers
check-consumers: $(BUILD)/pyflame
	$(Q)BUILD=$(BUILD) scripts/check-consumers.sh

# The SVG flame graph in headless chromium (zoom, search, no console errors); skips, saying
# why, where chromium cannot be installed or started.
.PHONY: check-browser
check-browser: $(BUILD)/pyflame
	$(Q)BUILD=$(BUILD) scripts/check-browser.sh

# The sampler's own cost per sample against live interpreters (not part of check).
$(BUILD)/bench_unwind: tests/bench_unwind.c $(BUILD)/libpyflame.a
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libpyflame.a $(LDLIBS_PF)

.PHONY: bench-unwind
bench-unwind: $(BUILD)/bench_unwind
	$(Q)$(BUILD)/bench_unwind $(BENCH_ARGS)

# The benchmark's reference for following a tree with ptrace and nothing else.
$(BUILD)/ptrace-floor: scripts/bench/ptrace_floor.c | $(BUILD)/obj
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $<

# The least CPU a timer-driven sampler spends per tick here (run.py's "above floor").
$(BUILD)/wakeup-floor: scripts/bench/wakeup_floor.c | $(BUILD)/obj
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $<

# The benchmark suite in a few seconds: pyflame end to end on two workloads at 1 kHz.
# scripts/bench/run.sh --help for the full suite (and other profilers side by side).
bench-smoke: $(BUILD)/pyflame $(BUILD)/wakeup-floor
	$(Q)scripts/bench/run.sh --smoke --pyflame $(BUILD)/pyflame
	$(Q)scripts/bench/compare.sh -s -n 2 -k 3 -p $(BUILD)/pyflame

# --- fuzzing: libFuzzer targets for every parser of untrusted bytes (fuzz/) -------------
# `make fuzz` builds them with clang (ASan + UBSan + libFuzzer, the library compiled the
# same way in its own tree) and fuzzes each for FUZZ_SECONDS; `make fuzz-regress` replays
# the fixtures (fuzz/regress/T: inputs that once crashed; fuzz/corpus/T: the seeds) once.
# Both skip, saying so, where clang or libFuzzer (Debian: clang, libclang-rt-14-dev) is missing.
FUZZ_SECONDS ?= 30
FUZZ_CC      ?= clang
FUZZ_BUILD   ?= build/fuzz
FUZZ_TARGETS ?= elf procmaps linetable unwind rawlog textenc collapsed
FUZZ_FLAGS   := -std=c11 -D_GNU_SOURCE -Iinclude $(WARN) -g -O1 -fno-omit-frame-pointer \
                -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_OBJS    := $(LIB_SRCS:src/%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)
FUZZ_HEADERS := $(wildcard fuzz/*.h)
FUZZ_PROBE    = printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' | \
                $(FUZZ_CC) -fsanitize=fuzzer,address,undefined -x c - -o /dev/null >/dev/null 2>&1

$(FUZZ_BUILD)/obj/%.o: src/%.c $(HEADERS) | $(FUZZ_BUILD)/obj
	$(call msg,CC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/libpyflame.a: $(FUZZ_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_HEADERS) $(HEADERS) $(FUZZ_BUILD)/libpyflame.a
	$(call msg,LINK,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -Ifuzz -o $@ $< $(FUZZ_BUILD)/libpyflame.a \
		$(LDLIBS_PF)

$(FUZZ_BUILD)/obj:
	$(Q)mkdir -p $@

.PHONY: fuzz fuzz-build fuzz-regress
fuzz-build: $(FUZZ_BINS)

fuzz:
	$(Q)if ! command -v $(FUZZ_CC) >/dev/null 2>&1; then \
		echo "fuzz: $(FUZZ_CC) not installed, skipped (Debian: apt-get install clang libclang-rt-14-dev)"; \
	elif ! $(FUZZ_PROBE); then \
		echo "fuzz: $(FUZZ_CC) cannot link -fsanitize=fuzzer, skipped (Debian: apt-get install libclang-rt-14-dev)"; \
	else \
		$(MAKE) --no-print-directory fuzz-build && \
		fuzz/run.sh fuzz $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS); \
	fi

fuzz-regress:
	$(Q)if ! command -v $(FUZZ_CC) >/dev/null 2>&1; then \
		echo "fuzz-regress: $(FUZZ_CC) not installed, skipped (Debian: apt-get install clang libclang-rt-14-dev)"; \
	elif ! $(FUZZ_PROBE); then \
		echo "fuzz-regress: $(FUZZ_CC) cannot link -fsanitize=fuzzer, skipped (Debian: apt-get install libclang-rt-14-dev)"; \
	else \
		$(MAKE) --no-print-directory fuzz-build && \
		fuzz/run.sh regress $(FUZZ_BUILD) $(FUZZ_TARGETS); \
	fi
