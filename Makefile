# exactly — plain make.  `make check` on a fresh Debian 12 machine installs
# what it lacks (deps), builds, runs the bats suite and lints the man pages.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DESTDIR ?=

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN     = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wwrite-strings \
           -Wconversion -Wno-sign-conversion -Wstrict-prototypes \
           -Wmissing-prototypes
ifeq ($(CI),true)
WARN    += -Werror
endif
# KAFKA=no builds without librdkafka: without EX_KAFKA the files that need
# it compile to nothing and lib/knone.c stands in for them, so a kafka://
# name is a usage error saying so (and lib/*.c builds anywhere).
KAFKA   ?= yes
ifeq ($(KAFKA),no)
PKGS     = libsodium zlib
KAFKABIN =
else
PKGS     = libsodium zlib rdkafka
WARN    += -DEX_KAFKA
KAFKABIN = tests/kmock tests/kdrive
endif
ALL_CFLAGS = $(WARN) $(CFLAGS) -Ilib $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lsodium -lz $(if $(KAFKABIN),-lrdkafka))
LDLIBS  += -pthread

TOOLS    = $(patsubst cmd/%.c,%,$(wildcard cmd/*.c))
LIBSRC   = $(wildcard lib/*.c)
LIBOBJ   = $(LIBSRC:.c=.o)
HDRS     = $(wildcard lib/*.h)
PAGES    = $(wildcard man/*.[1-8])
UNIT     = $(patsubst %.c,%,$(wildcard tests/unit/*_test.c))
FUZZERS  = $(patsubst fuzz/%.c,%,$(wildcard fuzz/*.c))
FUZZ_SECONDS ?= 60
FUZZ_CHECK_SECONDS ?= 5
# Unit tests always run under the sanitizers: they are where a read one
# byte past a record would show.
SANFLAGS = -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
           -fno-omit-frame-pointer
# lib/ compiled once under the sanitizers, for the unit tests and the ASan
# build of the tools, and once instrumented for libFuzzer: compiling it
# again for each program was most of make check's build time.
SANLIB   = build/san/libexactly.a
FUZZLIB  = build/fuzz/libexactly.a

# Debian packages the build, the tests and the benchmarks need.
DEBS = build-essential libsodium-dev zlib1g-dev pkg-config bats bats-assert \
       bats-support bats-file mandoc logrotate sqlite3 mawk logtail \
       clang libclang-rt-14-dev fiu-utils util-linux coreutils parallel bc \
       python3-fusepy postgresql librdkafka-dev kcat

all: $(TOOLS)

$(TOOLS): %: cmd/%.o lib/libexactly.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

%.o: %.c $(HDRS)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

lib/libexactly.a: $(LIBOBJ)
	rm -f $@
	$(AR) rcs $@ $(LIBOBJ)

# The objects of one KAFKA= setting must not be linked under the other.
lib/.kafka-$(KAFKA):
	rm -f lib/.kafka-* lib/*.o lib/libexactly.a
	rm -rf build/san build/fuzz
	touch $@
$(LIBOBJ): lib/.kafka-$(KAFKA)

# tests/kafka.bats: the mock cluster, and lib/kafka driven directly.
tests/kmock: tests/kmock.c
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

tests/kdrive: tests/kdrive.c lib/libexactly.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Installs the missing Debian packages when root; otherwise says how.
deps:
	@missing=$$(for p in $(DEBS); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ]; then \
	        echo "deps: installing" $$missing; \
	        apt-get update -qq && \
	        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	    else \
	        echo "deps: missing packages; run:" >&2; \
	        echo "    sudo apt-get install" $$missing >&2; exit 1; \
	    fi; \
	fi

# The bats files, the longest first: bats starts them in the order given,
# two at a time, and one of the longest started last ran alone at the
# end (soak.bats, two minutes, was the 21st of 23).  Files not named here
# follow, by name.
LONGEST = tests/soak.bats tests/powerloss.bats tests/kafka.bats \
          tests/windowcrash.bats tests/chaos.bats tests/badstate.bats \
          tests/faults.bats tests/dedup.bats
SUITE   = $(LONGEST) $(filter-out $(LONGEST),$(sort $(wildcard tests/*.bats)))

check: deps
	$(MAKE) all tests/faults/shim.so $(KAFKABIN)
	$(MAKE) unit
	$(MAKE) fuzz-check
	bats --jobs 2 --no-parallelize-within-files $(SUITE)
	$(MAKE) asan ASAN_TESTS='$(ASAN_QUICK)'
	$(MAKE) valgrind
	$(MAKE) lint-man
	$(MAKE) check-nokafka

unit: $(UNIT)
	@for t in $(UNIT); do ./$$t || exit 1; done

tests/unit/%_test: tests/unit/%_test.c tests/unit/unit.h $(SANLIB) $(HDRS)
	$(CC) $(WARN) $(SANFLAGS) -Ilib -o $@ $< $(SANLIB) $(LDLIBS)

# lib/ compiled once under the sanitizers (SANLIB) and once for libFuzzer
# (FUZZLIB).
build/san/%.o: lib/%.c $(HDRS) lib/.kafka-$(KAFKA)
	@mkdir -p build/san
	$(CC) $(WARN) $(SANFLAGS) -Ilib -c -o $@ $<
$(SANLIB): $(LIBSRC:lib/%.c=build/san/%.o)
	rm -f $@
	$(AR) rcs $@ $^
build/fuzz/%.o: lib/%.c $(HDRS) lib/.kafka-$(KAFKA)
	@mkdir -p build/fuzz
	clang $(filter-out -Werror,$(WARN)) -g -O1 \
	    -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
	    -Ilib -c -o $@ $<
$(FUZZLIB): $(LIBSRC:lib/%.c=build/fuzz/%.o)
	rm -f $@
	$(AR) rcs $@ $^

# The LD_PRELOAD fault injector of tests/faults.bats.
tests/faults/shim.so: tests/faults/shim.c
	$(CC) -std=c11 -Wall -Wextra -O2 -fPIC -shared -o $@ $< -ldl

# libFuzzer harnesses (clang only); the whole of lib/ is instrumented.
fuzz/out/%: fuzz/%.c $(FUZZLIB) $(HDRS)
	@mkdir -p fuzz/out
	clang $(filter-out -Werror,$(WARN)) -g -O1 \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    -Ilib -o $@ $< $(FUZZLIB) $(LDLIBS)

fuzz: $(FUZZERS:%=fuzz/out/%)
	@sh fuzz/run.sh $(FUZZ_SECONDS) $(FUZZERS)

fuzz-check: $(FUZZERS:%=fuzz/out/%)
	@sh fuzz/run.sh $(FUZZ_CHECK_SECONDS) $(FUZZERS)

# Power-loss tests alone (they also run in check): plfs needs /dev/fuse and
# root, and skips without them.
check-powerloss: deps all
	bats tests/powerloss.bats
.PHONY: check-powerloss

# The reliability table of README.md, from the counts of a real run.
reliability: deps all tests/faults/shim.so
	sh tests/reliability.sh
.PHONY: reliability

# A build without librdkafka still knows a kafka:// name, to refuse it:
# commit and logcat built so into build/nokafka must say so, exit 2, for
# a store, a log and a listing.
NOKAFKA_LIBS = $(shell pkg-config --libs libsodium zlib 2>/dev/null || echo -lsodium -lz)
check-nokafka:
	@mkdir -p build/nokafka
	$(CC) $(filter-out -DEX_KAFKA,$(WARN)) $(CFLAGS) -Ilib \
	    -o build/nokafka/commit cmd/commit.c $(LIBSRC) $(NOKAFKA_LIBS)
	$(CC) $(filter-out -DEX_KAFKA,$(WARN)) $(CFLAGS) -Ilib \
	    -o build/nokafka/logcat cmd/logcat.c $(LIBSRC) $(NOKAFKA_LIBS)
	@for run in 'commit -o kafka://k1:9092/t/0@g -R 1' \
	    'logcat -o kafka://k1:9092/t/0@g' 'logcat -s 0 kafka://k1:9092/t/0' \
	    'logcat -L kafka://k1:9092/t'; do \
	    out=$$(build/nokafka/$$run 2>&1 </dev/null); st=$$?; \
	    case "$$st $$out" in \
	    "2 $${run%% *}: kafka://k1:9092/t"*": this build has no Kafka support"*) ;; \
	    *) echo "check-nokafka: $$run: exit $$st: $$out" >&2; exit 1;; \
	    esac; \
	done
.PHONY: check-nokafka

lint-man:
	mandoc -Tlint -Wwarning $(PAGES)

lint: lint-man
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	    --suppress=missingIncludeSystem -Ilib cmd lib

demo: deps all $(KAFKABIN)
	@sh bench/demo.sh

# Every bench/[0-9]*.sh, each recording its targets in one file, then the
# table of them all, met or missed.
bench: deps all bench/floor $(KAFKABIN)
	@BENCH_SUMMARY=$$(mktemp) && export BENCH_SUMMARY && st=0 && \
	for b in bench/[0-9]*.sh; do sh $$b || { st=1; break; }; done; \
	sh bench/summary.sh; rm -f "$$BENCH_SUMMARY"; exit $$st

# The floors the bench measures (fsync group, journal fsync, fork/exec).
bench/floor: bench/floor.c
	$(CC) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ bench/floor.c

# A 100M-key seen-set: minutes and about 3 GB of disk, so not in bench.
bench-large: deps all
	@sh bench/large.sh

# The tools built with ASan and UBSan into their own directory (the normal
# build is left alone) and the whole bats suite run against them.  Every
# sanitizer report goes to a log file, so one from a process whose status
# a test does not look at still fails the run.  A tool's own signals
# (crashat -s SEGV) must stay signals, hence handle_*=0.  Memory a tool
# still holds when it exits is not a leak worth a failure (it dies on
# errors with buffers allocated): leaks are judged by valgrind instead.
ASAN_DIR = build/asan
# The sanitizers watch the recovery paths on a few seeds; the plain run of
# tests/chaos.bats does the 20.
ASAN_CHAOS_SEEDS ?= 5
ASAN_TESTS ?= $(SUITE)
# What make check gives the sanitizers: every file not tagged slow, to keep
# the whole of make check within 10 minutes on 2 cores.
ASAN_QUICK = $(shell grep -L 'file_tags=slow' $(SUITE))
ASAN_ENV = ASAN_OPTIONS=log_path=$(CURDIR)/$(ASAN_DIR)/log/asan:handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_abort=0:detect_leaks=0 \
           UBSAN_OPTIONS=log_path=$(CURDIR)/$(ASAN_DIR)/log/ubsan:print_stacktrace=1:halt_on_error=1

$(ASAN_DIR)/%: cmd/%.c $(SANLIB) $(HDRS)
	@mkdir -p $(ASAN_DIR)
	$(CC) $(WARN) $(SANFLAGS) -Ilib -o $@ $< $(SANLIB) $(LDLIBS)

$(ASAN_DIR)/kdrive: tests/kdrive.c $(SANLIB) $(HDRS)
	@mkdir -p $(ASAN_DIR)
	$(CC) $(WARN) $(SANFLAGS) -Ilib -o $@ $< $(SANLIB) $(LDLIBS)

asan: $(TOOLS:%=$(ASAN_DIR)/%) $(if $(KAFKABIN),$(ASAN_DIR)/kdrive tests/kmock)
	@rm -rf $(ASAN_DIR)/log && mkdir -p $(ASAN_DIR)/log
	@t0=$$(date +%s); \
	$(ASAN_ENV) EXACTLY_BIN=$(CURDIR)/$(ASAN_DIR) CHAOS_SEEDS=$(ASAN_CHAOS_SEEDS) \
	    bats --jobs 2 --no-parallelize-within-files $(ASAN_TESTS); st=$$?; \
	echo "asan: bats suite took $$(( $$(date +%s) - t0 )) s"; \
	if [ -n "$$(ls $(ASAN_DIR)/log)" ]; then \
	    cat $(ASAN_DIR)/log/* >&2; echo "asan: sanitizer reports above" >&2; exit 1; \
	fi; exit $$st

# Memcheck on the whole exactly-once pipeline, at two sizes.
valgrind: all
	@sh tests/valgrind.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7
	install -m 755 $(TOOLS) $(DESTDIR)$(BINDIR)
	for p in $(PAGES); do \
	    s=$${p##*.}; install -m 644 $$p $(DESTDIR)$(MANDIR)/man$$s; \
	done

clean:
	rm -f $(TOOLS) cmd/*.o lib/*.o lib/libexactly.a lib/.kafka-* $(UNIT) \
	    tests/faults/shim.so tests/kmock tests/kdrive bench/floor
	rm -rf fuzz/out build

.PHONY: all deps check unit fuzz fuzz-check valgrind lint lint-man demo bench bench-large asan install clean
