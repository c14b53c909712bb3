# h2k: move virtual machines to KVM/QEMU.  Plain GNU Make.
#
#   make                 build every tool into $(BUILD)/bin
#   make check           build, then run the unit tests and every bats test
#                        that runs no VM (the fast tier)
#   make check-guests    the tests that build test guests, launch
#                        appliances or boot guests (the guests tier)
#   make check-all       both tiers in one run
#   make check-asan      the fast tier against an ASan+UBSan build
#   make check-valgrind  the unit tests under valgrind
#   make install         PREFIX=/usr/local DESTDIR=
#   make deps            install Debian 12 packages (contrib/debian-packages.txt)
#   make demo            see README
#
# WERROR=1 adds -Werror.  BUILD=dir puts objects and binaries elsewhere.

VERSION   := 0.1.0
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
DESTDIR   ?=
BUILD     ?= build
CC        ?= cc
PKG_CONFIG ?= pkg-config

LIBS_PKG  := json-c libxml-2.0 libarchive libcrypto libssl yaml-0.1 libcurl libssh libguestfs hivex

# Fail early, and clearly, when a library is missing (check and demo first
# install what is missing, then build in a sub-make that checks).
ifneq ($(filter-out deps clean distclean help check check-guests check-all check-asan demo,$(or $(MAKECMDGOALS),all)),)
  missing := $(strip $(foreach p,$(LIBS_PKG),$(if $(shell $(PKG_CONFIG) --exists $(p) && echo y),,$(p))))
  ifneq ($(missing),)
    $(error missing libraries (pkg-config): $(missing); run 'make deps' as root)
  endif
endif

PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(LIBS_PKG) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(LIBS_PKG) 2>/dev/null)

WARN      := -Wall -Wextra -Wshadow -Wformat=2 -Wno-format-nonliteral -Wvla \
             -Wmissing-prototypes -Wstrict-prototypes
ifeq ($(WERROR),1)
  WARN    += -Werror
endif
OPT       ?= -O2 -g
SANITIZE  ?=
ifeq ($(SANITIZE),1)
  OPT     := -O1 -g -fno-omit-frame-pointer
  SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined
endif

CPPFLAGS  += -D_GNU_SOURCE -DH2K_VERSION='"$(VERSION)"' -Icommon
CFLAGS    += -std=gnu11 $(OPT) $(WARN) $(SANFLAGS) $(PKG_CFLAGS)
LDFLAGS   += $(SANFLAGS)
LDLIBS    += $(PKG_LIBS) -lm

COMMON_SRC := $(sort $(wildcard common/*.c))
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o)
LIBH2K     := $(BUILD)/libh2k.a

TOOLS      := $(notdir $(sort $(wildcard tools/h2k-*)))
TOOL_BINS  := $(TOOLS:%=$(BUILD)/bin/%)

# Unit tests: tests/unit/common/test-*.c link libh2k.a; tests/unit/<tool>/
# test-*.c also link every object of tools/h2k-<tool>/ except main.o.
UNIT_SRC   := $(sort $(wildcard tests/unit/*/test-*.c))
UNIT_BINS  := $(UNIT_SRC:%.c=$(BUILD)/%)

MANPAGES   := $(sort $(wildcard man/*.pod))

all: $(TOOL_BINS) man

$(BUILD)/%.o: %.c $(wildcard common/*.h)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(LIBH2K): $(COMMON_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

# One executable per folder under tools/.
define tool_rule
$(1)_SRC := $$(sort $$(wildcard tools/$(1)/*.c))
$(1)_OBJ := $$($(1)_SRC:%.c=$(BUILD)/%.o)
$(BUILD)/bin/$(1): $$($(1)_OBJ) $(LIBH2K)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach t,$(TOOLS),$(eval $(call tool_rule,$(t))))

unit_tool = $(patsubst tests/unit/%/,%,$(dir $(1)))
define unit_rule
$(BUILD)/$(1:.c=): $(BUILD)/$(1:.c=.o) $(filter-out %/main.o,$($(if $(filter common,$(call unit_tool,$(1))),,h2k-$(call unit_tool,$(1)))_OBJ)) $(LIBH2K)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach u,$(UNIT_SRC),$(eval $(call unit_rule,$(u))))

$(BUILD)/tests/unit/%.o: CPPFLAGS += -Itests/unit -DSRCDIR='"$(CURDIR)"'

man: $(MANPAGES:man/%.pod=$(BUILD)/man/%)
$(BUILD)/man/%: man/%.pod
	@mkdir -p $(@D)
	podchecker $< >/dev/null 2>&1 || { podchecker $<; exit 1; }
	pod2man --utf8 --center=h2k --release=$(VERSION) \
	  --section=$(subst .,,$(suffix $*)) --name=$(basename $*) $< $@-t
	mv $@-t $@

units: $(UNIT_BINS)

# make check installs what is missing, builds, then runs a tier of tests
# (tests/run-tests.sh says what each holds).
check: deps
	$(MAKE) check-run TIER=fast

check-guests: deps
	$(MAKE) check-run TIER=guests

check-all: deps
	$(MAKE) check-run TIER=all

TIER ?= fast
check-run: all units
	H2K_BIN=$(CURDIR)/$(BUILD)/bin BUILD=$(BUILD) tests/run-tests.sh --tier $(TIER) $(UNIT_BINS)

check-asan:
	$(MAKE) BUILD=build-asan SANITIZE=1 check

check-valgrind: units
	H2K_VALGRIND=1 BUILD=$(BUILD) tests/run-tests.sh --unit-only $(UNIT_BINS)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	install -m 755 $(TOOL_BINS) $(DESTDIR)$(BINDIR)/
	for m in $(BUILD)/man/*; do \
	  s=$${m##*.}; install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done

deps:
	@contrib/install-deps.sh contrib/debian-packages.txt

images:
	$(MAKE) -C tests/images

demo: deps
	$(MAKE) all
	contrib/demo.sh

clean:
	rm -rf build build-asan

.PHONY: all man units check check-guests check-all check-run check-asan check-valgrind install deps images demo clean

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
