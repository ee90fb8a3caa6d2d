# linx-sidecar — plain Makefile. `make` builds build/liblinx.a and
# build/linx-sidecar; `make check` installs dependencies and runs every test.
CC      ?= cc
# Run-time libraries. libseccomp is for the build only (gen_seccomp).
PKGS    := libmnl jansson
# The compiler for programs run during the build (cross builds set it).
HOSTCC  ?= $(CC)
BUILD   ?= build
PREFIX  ?= /usr/local
WERROR  ?= $(if $(CI),-Werror,)
# The release (debian/changelog says the same); --version adds git describe.
VERSION := 0.1.0
GIT_DESCRIBE ?= $(shell git describe --always --dirty 2>/dev/null)
SAN     ?=

CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra $(WERROR) -MMD -MP -D_GNU_SOURCE \
           -Ilib -Ioci -Isidecar -I$(BUILD)/gen $(shell pkg-config --cflags $(PKGS)) $(SAN)
LDLIBS  += $(shell pkg-config --libs $(PKGS))
LDFLAGS += $(SAN)

# liblinx is lib/ plus oci/: the OCI state and annotation parsers are
# library code (pure, no netlink), the program is sidecar/.
LIB_SRCS := $(wildcard lib/*.c) $(wildcard oci/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
BIN_SRCS := $(filter-out sidecar/gen_seccomp.c,$(wildcard sidecar/*.c))
BIN_OBJS := $(BIN_SRCS:%.c=$(BUILD)/%.o)

TEST_SRCS := $(wildcard tests/unit/*.c) $(wildcard tests/netns/*.c)
TEST_BINS := $(TEST_SRCS:%.c=$(BUILD)/%)
TEST_LIBS := $(shell pkg-config --libs criterion 2>/dev/null || echo -lcriterion)

all: $(BUILD)/liblinx.a $(BUILD)/linx-sidecar

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# Only version.o sees the version; a stamp that changes with it rebuilds it.
$(BUILD)/version.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(VERSION) $(GIT_DESCRIBE)' | cmp -s - $@ || echo '$(VERSION) $(GIT_DESCRIBE)' > $@
$(BUILD)/sidecar/version.o: $(BUILD)/version.stamp
$(BUILD)/sidecar/version.o: CFLAGS += -DLX_VERSION='"$(VERSION)"' -DLX_GIT_DESCRIBE='"$(GIT_DESCRIBE)"'
FORCE:
# The code an idle resident runs once it has dropped its text (sidecar/
# idle.c) calls libc through the GOT, not the PLT: a PLT stub's page would
# fault 64 KiB of text back.
$(BUILD)/lib/evloop.o $(BUILD)/sidecar/idle.o: CFLAGS += -fno-plt

# The resident's seccomp filter, compiled at build time by libseccomp into
# a BPF array (sidecar/gen_seccomp.c): the program never loads libseccomp.
# Built without $(SAN): it runs here, its output is what counts.
$(BUILD)/gen/gen_seccomp: sidecar/gen_seccomp.c
	@mkdir -p $(dir $@)
	$(HOSTCC) -O2 -std=gnu11 -Wall -Wextra $(WERROR) $(shell pkg-config --cflags libseccomp) \
	  -o $@ $< $(shell pkg-config --libs libseccomp)
$(BUILD)/gen/seccomp_filter.h: $(BUILD)/gen/gen_seccomp
	$< > $@.tmp && mv $@.tmp $@
$(BUILD)/sidecar/sandbox.o: $(BUILD)/gen/seccomp_filter.h
$(BUILD)/tests/unit/test_seccomp: $(BUILD)/gen/seccomp_filter.h

$(BUILD)/liblinx.a: $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/linx-sidecar: $(BIN_OBJS) $(BUILD)/liblinx.a
	$(CC) $(LDFLAGS) -o $@ $(BIN_OBJS) $(BUILD)/liblinx.a $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(BUILD)/liblinx.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -o $@ $< $(BUILD)/liblinx.a $(LDFLAGS) $(LDLIBS) $(TEST_LIBS)

# The sandbox is the program's (sidecar/); its test links it in.
$(BUILD)/tests/netns/test_sandbox: tests/netns/test_sandbox.c $(BUILD)/sidecar/sandbox.o $(BUILD)/liblinx.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -o $@ $< $(BUILD)/sidecar/sandbox.o $(BUILD)/liblinx.a $(LDFLAGS) $(LDLIBS) $(TEST_LIBS)

# The idle trim is the program's too; its probe calls libc as the idle
# path does (no PLT).
$(BUILD)/tests/unit/test_idle: CFLAGS += -fno-plt
$(BUILD)/tests/unit/test_idle: tests/unit/test_idle.c $(BUILD)/sidecar/idle.o $(BUILD)/liblinx.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -o $@ $< $(BUILD)/sidecar/idle.o $(BUILD)/liblinx.a $(LDFLAGS) $(LDLIBS) $(TEST_LIBS)

# Counts identity compares to prove passes O(n log n) (the test says how).
$(BUILD)/tests/netns/test_rtnl_scale: LDFLAGS += -Wl,--wrap=lx_addr_cmp -Wl,--wrap=lx_link_cmp

tests: $(TEST_BINS)

deps:
	./scripts/deps.sh

# Every test: unit (pure), netns (real kernel, fresh namespaces), cli and e2e
# (real runtimes). Needs root for everything past the unit tests.
check: deps
	$(MAKE) all tests
	./tests/run.sh $(BUILD)

check-unit: all tests
	./tests/run.sh $(BUILD) unit

# One run of the whole suite under AddressSanitizer + UndefinedBehaviorSanitizer.
check-asan: deps
	CFLAGS="-O1 -g" $(MAKE) BUILD=build-asan CC=clang \
	  SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  all tests
	LX_SANITIZED=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ./tests/run.sh build-asan

# Load and storm: 50 concurrent runc containers with the hook, a netlink
# storm against one resident sidecar. Minutes, root; not part of check.
load: all
	./tests/run.sh $(BUILD) load

demo: deps all
	./examples/demo.sh $(BUILD)/linx-sidecar

# Reference programs for the bench (tests/bench/*.c): libmnl only, and
# jansson for the idle loop, so a reference carries no more than its work.
BENCH_BINS := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(wildcard tests/bench/*.c))
$(BUILD)/bench/%: tests/bench/%.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -std=gnu11 -Wall -Wextra $(WERROR) -o $@ $< \
	  $(shell pkg-config --libs libmnl $(if $(findstring idle,$@),jansson))

bench: deps all $(BENCH_BINS)
	BENCH_BIN=$(abspath $(BUILD)/bench) ./tests/bench/run.sh $(BUILD)/linx-sidecar

fuzz: deps
	./tests/fuzz/run.sh $(or $(FUZZ_SECONDS),60)

# Install layout; PREFIX and DESTDIR as usual (debian/rules: PREFIX=/usr).
# hooks.d is where podman and CRI-O look whatever the prefix.
BINDIR      ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
UNITDIR     ?= $(PREFIX)/lib/systemd/system
DOCDIR      ?= $(PREFIX)/share/doc/linx-sidecar
HOOKSDIR    ?= /usr/share/containers/oci/hooks.d
UNITS       := examples/linx-sidecar@.service examples/linx-sidecar-metrics.service \
               examples/linx-sidecar-metrics.timer
EXAMPLES    := $(filter-out $(UNITS),$(wildcard examples/*.*)) $(wildcard examples/k8s)

# The man page, from scdoc source (offline: scdoc is a Debian package).
man: $(BUILD)/linx-sidecar.8
$(BUILD)/linx-sidecar.8: docs/linx-sidecar.8.scd
	@mkdir -p $(dir $@)
	scdoc < $< > $@

install: all man
	install -D -m 0755 $(BUILD)/linx-sidecar $(DESTDIR)$(BINDIR)/linx-sidecar
	install -D -m 0644 $(BUILD)/linx-sidecar.8 $(DESTDIR)$(MANDIR)/man8/linx-sidecar.8
	install -D -m 0644 completions/linx-sidecar.bash $(DESTDIR)$(BASHCOMPDIR)/linx-sidecar
	install -d $(DESTDIR)$(HOOKSDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)/examples
	for f in hooks/linx-sidecar-*.json; do \
	  sed 's|@BINDIR@|$(BINDIR)|g' $$f > $(DESTDIR)$(HOOKSDIR)/$$(basename $$f); \
	done
	for f in $(UNITS); do \
	  sed 's|/usr/local/bin|$(BINDIR)|g' $$f > $(DESTDIR)$(UNITDIR)/$$(basename $$f); \
	done
	cp -R $(EXAMPLES) $(DESTDIR)$(DOCDIR)/examples/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/linx-sidecar $(DESTDIR)$(MANDIR)/man8/linx-sidecar.8 \
	  $(DESTDIR)$(BASHCOMPDIR)/linx-sidecar \
	  $(addprefix $(DESTDIR)$(HOOKSDIR)/,$(notdir $(wildcard hooks/linx-sidecar-*.json))) \
	  $(addprefix $(DESTDIR)$(UNITDIR)/,$(notdir $(UNITS)))
	rm -rf $(DESTDIR)$(DOCDIR)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan build-fuzz build-deb

.PHONY: FORCE all tests deps check check-unit check-asan load demo bench fuzz man install uninstall format clean

-include $(LIB_OBJS:.o=.d) $(BIN_OBJS:.o=.d)
