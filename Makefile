# coopstat: one Makefile for the core library, the Lua module, the CLI,
# the tests and the install.  `make run` and `make test` set up the
# Debian packages they need first (see `make deps`).

CC       ?= cc
AR       ?= ar
PREFIX   ?= /usr/local
BUILD    ?= build
LUA      ?= lua5.4

# Debian packages and the pkg-config names they provide.
DEB_PKGS  = pkg-config liblua5.4-dev lua5.4 libsqlite3-dev libcmocka-dev \
            libutf8proc-dev libicu-dev nettle-dev libxlsxwriter-dev \
            libreadline-dev libxxhash-dev
# Only the tests need a browser (the HTML report is rendered in it) and
# the time zone database (schedules are checked across daylight saving).
DEB_TEST_PKGS = chromium tzdata tmux clang libclang-rt-14-dev clang-tidy cppcheck \
                valgrind
PC_LIBS   = lua5.4 libutf8proc sqlite3 icu-i18n icu-uc nettle libxxhash xlsxwriter
PC_TEST   = cmocka

PKG_CFLAGS := $(shell pkg-config --cflags $(PC_LIBS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PC_LIBS) 2>/dev/null)
CORE_LIBS  := $(shell pkg-config --libs libutf8proc sqlite3 icu-i18n icu-uc nettle libxxhash 2>/dev/null)
BIND_LIBS  := $(shell pkg-config --libs xlsxwriter 2>/dev/null)
# GNU readline, for the REPL's line editing: the program only.  (Its
# --cflags, from tinfo, redefine _XOPEN_SOURCE, so they are not taken.)
CLI_LIBS   := $(shell pkg-config --libs readline 2>/dev/null || echo -lreadline)
TEST_CFLAGS:= $(shell pkg-config --cflags $(PC_TEST) 2>/dev/null)
TEST_LIBS  := $(shell pkg-config --libs $(PC_TEST) 2>/dev/null)
# Lua 5.4's C-module folder: Debian's own under /usr, else the one that
# a stock lua5.4 searches under PREFIX (/usr/local/lib/lua/5.4).
LUA_CMOD    = $(if $(filter /usr,$(PREFIX)),$(shell pkg-config \
              --define-variable=prefix=/usr --variable=INSTALL_CMOD lua5.4),$(PREFIX)/lib/lua/5.4)

WARN   = -Wall -Wextra -Werror -Wpedantic -Wshadow -Wstrict-prototypes \
         -Wmissing-prototypes -Wvla -Wformat=2
# -O3 vectorises the column loops; the sanitizer build stays at -O1, as
# the sanitizers advise (and gcc's -O3 warnings are false there).
ifeq ($(SANITIZE),1)
OPT   ?= -O1 -g
else
OPT   ?= -O3 -g
endif
CFLAGS_ALL = -std=c11 -D_POSIX_C_SOURCE=200809L $(OPT) $(WARN) -fPIC \
             -MMD -MP -Icore -Ibindings $(PKG_CFLAGS) \
             -DCS_SHARE_DIR='"$(PREFIX)/share/coopstat"' $(CFLAGS)
LDFLAGS_ALL = $(LDFLAGS)

ifeq ($(SANITIZE),1)
BUILD := build-san
CFLAGS_ALL  += -fsanitize=address,undefined -fno-omit-frame-pointer -DCS_SANITIZED \
               -fno-sanitize-recover=undefined
LDFLAGS_ALL += -fsanitize=address,undefined
endif

CORE_SRC = $(wildcard core/*.c)
BIND_SRC = $(wildcard bindings/*.c)
CLI_SRC  = $(wildcard cli/*.c)
TEST_SRC = $(wildcard tests/test_*.c)

CORE_OBJ = $(CORE_SRC:%.c=$(BUILD)/%.o)
BIND_OBJ = $(BIND_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/embedded_lua.o
# The module's Lua parts (bindings/lua/*.lua), compiled into it.
LUA_PARTS = $(sort $(wildcard bindings/lua/*.lua))
CLI_OBJ  = $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_BIN = $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)

LIBCORE  = $(BUILD)/libcoopstat.a
LUAMOD   = $(BUILD)/coopstat.so
EXE      = $(BUILD)/coopstat

.PHONY: all deps deps-test run test test-unit test-lua install uninstall clean bench \
        fuzz fuzz-build lint check \
        data help
all: $(LIBCORE) $(LUAMOD) $(EXE)

help:
	@echo "make          build $(EXE), $(LIBCORE) and $(LUAMOD)"
	@echo "make run      set up, build, run the province overview"
	@echo "make test     set up, build, run every test (SANITIZE=1: ASan+UBSan)"
	@echo "make deps     check (and as root install) the Debian packages"
	@echo "make install  PREFIX=$(PREFIX); make uninstall"
	@echo "make data     regenerate data/hoabinh from scripts/gen_hoabinh.lua"
	@echo "make bench    benchmarks (see bench/README.md)"

# --- dependencies -------------------------------------------------------
deps:
	@$(call install_missing,$(DEB_PKGS))

deps-test:
	@$(call install_missing,$(DEB_PKGS) $(DEB_TEST_PKGS))

# install_missing PACKAGES: installs (as root) those not installed yet.
define install_missing
missing=""; for p in $(1); do \
  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' \
    || missing="$$missing $$p"; done; \
if [ -z "$$missing" ]; then echo "deps: all packages present"; exit 0; fi; \
if [ "$$(id -u)" = 0 ]; then \
  echo "deps: installing$$missing"; \
  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y \
    --no-install-recommends $$missing || exit 1; \
else \
  echo "deps: missing packages:$$missing"; \
  echo "deps: run: sudo apt-get update && sudo apt-get install -y$$missing"; \
  exit 1; \
fi
endef

# --- build --------------------------------------------------------------
$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/gen/embedded_lua.c: $(LUA_PARTS) bindings/embed.sh
	@mkdir -p $(dir $@)
	sh bindings/embed.sh $(LUA_PARTS) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/embedded_lua.o: $(BUILD)/gen/embedded_lua.c
	$(CC) $(CFLAGS_ALL) -Wno-overlength-strings -c $< -o $@

$(LIBCORE): $(CORE_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

# The Lua module: bindings + core, loaded by a stock lua5.4 (which
# provides the Lua API symbols itself, so liblua is not linked in).
$(LUAMOD): $(BIND_OBJ) $(LIBCORE)
	$(CC) -shared -o $@ $(BIND_OBJ) $(LIBCORE) $(BIND_LIBS) $(CORE_LIBS) -lm \
	  $(LDFLAGS_ALL)

$(EXE): $(CLI_OBJ) $(BIND_OBJ) $(LIBCORE)
	$(CC) -o $@ $(CLI_OBJ) $(BIND_OBJ) $(LIBCORE) $(PKG_LIBS) $(CLI_LIBS) -lm -Wl,-E \
	  $(LDFLAGS_ALL)

$(BUILD)/tests/%: tests/%.c $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(TEST_CFLAGS) -o $@ $< $(LIBCORE) $(CORE_LIBS) \
	  $(TEST_LIBS) -lm $(LDFLAGS_ALL)

# --- run and test -------------------------------------------------------
run: deps
	$(MAKE) all
	./$(EXE) run scripts/examples/overview.lua

test: deps-test
	$(MAKE) all $(TEST_BIN)
	@BUILD=$(BUILD) sh tests/run.sh $(TEST_BIN)

data: $(EXE)
	./$(EXE) run scripts/gen_hoabinh.lua data/hoabinh

bench: all
	@BUILD=$(BUILD) sh bench/run.sh
	@BUILD=$(BUILD) sh bench/store.sh

# --- install ------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(LUA_CMOD) \
	  $(DESTDIR)$(PREFIX)/share/coopstat
	install -m 755 $(EXE) $(DESTDIR)$(PREFIX)/bin/coopstat
	install -m 644 $(LUAMOD) $(DESTDIR)$(LUA_CMOD)/coopstat.so
	cp -R scripts data $(DESTDIR)$(PREFIX)/share/coopstat/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/coopstat $(DESTDIR)$(LUA_CMOD)/coopstat.so
	rm -rf $(DESTDIR)$(PREFIX)/share/coopstat

# --- hardening: fuzzing, static analysis, valgrind ------------------------
# make fuzz FUZZ_SECONDS=N: each libFuzzer target (tests/fuzz/) for N seconds,
# on a core built with clang and coverage; crashes fail the target and are
# kept in tests/fuzz/crashes/.  Seeds come from tests/fuzz/corpus/TARGET.
FUZZ_SECONDS ?= 10
FUZZ_BUILD    = build-fuzz
FUZZ_CC       = clang
FUZZ_FLAGS    = -g -O1 -std=c11 -D_POSIX_C_SOURCE=200809L -Icore \
                -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                $(PKG_CFLAGS)
FUZZ_TARGETS  = $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_CORE_OBJ = $(CORE_SRC:core/%.c=$(FUZZ_BUILD)/core/%.o)

$(FUZZ_BUILD)/core/%.o: core/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/%: tests/fuzz/%.c $(FUZZ_CORE_OBJ)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $< $(FUZZ_CORE_OBJ) -o $@ \
	  $(CORE_LIBS) -lm

fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/%)

fuzz: deps-test
	$(MAKE) fuzz-build
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh \
	  $(FUZZ_TARGETS)

# make lint: no Lua header under core/, then clang-tidy (.clang-tidy) and
# cppcheck over core/, bindings/ and cli/; any finding fails.
LINT_SRC = $(CORE_SRC) $(BIND_SRC) $(CLI_SRC)
# One clang-tidy per file (in parallel): run over several files, clang-tidy
# 14 keeps the analyzer's idea of va_start from the first one, and then
# reports every vsnprintf in the others as using an uninitialized va_list.
lint: deps-test $(BUILD)/gen/embedded_lua.c
	@if grep -l '#include [<"]\(lua\|lauxlib\|lualib\)\.h' core/*.c core/*.h; then \
	  echo "lint: the files above, under core/, include Lua"; exit 1; fi
	printf '%s\n' $(LINT_SRC) | xargs -P$$(nproc) -I{} clang-tidy --quiet {} -- \
	  -std=c11 -D_POSIX_C_SOURCE=200809L -DCS_SHARE_DIR='"/usr/share/coopstat"' \
	  -Icore -Ibindings $(PKG_CFLAGS)
	cppcheck --std=c11 --enable=warning,portability,performance --error-exitcode=1 \
	  --inline-suppr --quiet -Icore -Ibindings -DCS_SHARE_DIR='"/x"' \
	  --suppress=missingIncludeSystem $(LINT_SRC)

# make check: the unit tests under valgrind memcheck (leaks and invalid
# accesses fail).
check: deps-test
	$(MAKE) all $(TEST_BIN)
	@for t in $(TEST_BIN); do \
	  echo "== valgrind $$t"; \
	  valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite,indirect \
	    $$t >/dev/null || { echo "check: $$t failed under valgrind"; exit 1; }; \
	done
	@echo "check: every unit test clean under valgrind"

clean:
	rm -rf build build-san build-fuzz

-include $(CORE_OBJ:.o=.d) $(BIND_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
