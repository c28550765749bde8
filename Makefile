# brownout build.
#
#   make            build/torture and build/lfstool (-O2, -Werror)
#   make test       every test under ASan+UBSan; last line "N passed, N failed"
#   make torture    every suite, every geometry, every fault model (long)
#   make bench      the benchmarks whose figures are in the README
#
# LFS_DIR=path builds against another littlefs-API core (lfs.h, lfs.c,
# lfs_util.h, lfs_util.c). BUILD=dir puts the outputs elsewhere.

BUILD    ?= build
LFS_DIR  ?= lfs
SANITIZE ?= 0
PYTHON   ?= $(shell scripts/find-python)
# builds started by the top-level jobs use every core
NPROC    := $(shell nproc 2>/dev/null || echo 2)

ifeq ($(SANITIZE),1)
XFLAGS  := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
XLDFLAGS:= -fsanitize=address,undefined
else
XFLAGS  := -O2
XLDFLAGS:=
endif

WARNINGS := -std=c99 -Wall -Wextra -Werror
# LFS_MULTIVERSION: the core can write on-disk version 2.0 when asked to.
CFLAGS   += $(WARNINGS) -g $(XFLAGS) -DLFS_MULTIVERSION \
            -I$(LFS_DIR) -Ibd_emu -Iharness -Ikv -MMD -MP
LDFLAGS  += $(XLDFLAGS)

BD_SRC      := $(wildcard bd_emu/*.c)
LFS_SRC     := $(wildcard $(LFS_DIR)/*.c)
HARNESS_SRC := $(wildcard harness/*.c)
KV_SRC      := $(wildcard kv/*.c)
LFSTOOL_SRC := $(wildcard runners/lfstool/*.c)
BENCH_SRC   := $(wildcard runners/bench/bench_*.c)
UNIT_SRC    := $(wildcard tests/unit/test_*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
# dependency files name each object both relative and absolute, so a build
# made with BUILD=dir and one made with BUILD=$PWD/dir see the same headers
DEPTARGETS = -MT $@ -MT $(abspath $@) -MT $(patsubst $(CURDIR)/%,%,$(abspath $@))
LFS_OBJ := $(patsubst $(LFS_DIR)/%.c,$(BUILD)/obj/lfs-core/%.o,$(LFS_SRC))

# Layers, linked top-down: harness -> key-value view -> core -> device.
# The tools need no harness.
TOOL_LIBS := $(if $(KV_SRC),$(BUILD)/libkv.a) $(BUILD)/liblfs.a \
             $(if $(BD_SRC),$(BUILD)/libbd_emu.a)
LIBS := $(if $(HARNESS_SRC),$(BUILD)/libharness.a) $(TOOL_LIBS)

UNITS   := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRC))
BENCHES := $(patsubst runners/bench/%.c,$(BUILD)/%,$(BENCH_SRC))

.PHONY: all asan units benches test torture bench clean deps
.DEFAULT_GOAL := all

all: $(if $(LFSTOOL_SRC),$(BUILD)/lfstool) $(TORTURE_PROGRAM)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPTARGETS) -c $< -o $@

$(BUILD)/obj/lfs-core/%.o: $(LFS_DIR)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPTARGETS) -c $< -o $@

$(BUILD)/libbd_emu.a: $(call obj,$(BD_SRC))
$(BUILD)/liblfs.a: $(LFS_OBJ)
$(BUILD)/libharness.a: $(call obj,$(HARNESS_SRC))
$(BUILD)/libkv.a: $(call obj,$(KV_SRC))
$(BUILD)/%.a:
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/lfstool: $(call obj,$(LFSTOOL_SRC)) $(TOOL_LIBS)
	$(CC) $(LDFLAGS) $^ -o $@

$(BENCHES): $(BUILD)/bench_%: $(BUILD)/obj/runners/bench/bench_%.o $(LIBS)
	$(CC) $(LDFLAGS) $^ -lm -o $@

$(UNITS): $(BUILD)/unit/%: $(BUILD)/obj/tests/unit/%.o $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ -lcmocka -lm -o $@

units: $(UNITS)
benches: $(BENCHES)

# ---- torture: the case compiler and the runner --------------------------
# Sets TORTURE_PROGRAM (built by `make`), the `torture` job, and
# TORTURE_QUICK: the --summary-program run that `make test` adds.
# CASES=dir... picks the suites compiled in (default: every .toml in cases/).
CASES        ?= cases
TORTURE_TOML := $(sort $(shell find $(CASES) -name '*.toml' 2>/dev/null))
TORTURE_GEN  := $(BUILD)/gen/cases
TORTURE_GEN_SRC := $(patsubst %,$(TORTURE_GEN)/suites/%.c,$(basename $(notdir $(TORTURE_TOML)))) \
                   $(TORTURE_GEN)/in_cases.c $(TORTURE_GEN)/registry.c
TORTURE_GEN_OBJ := $(patsubst $(TORTURE_GEN)/%.c,$(BUILD)/obj/gen-cases/%.o,$(TORTURE_GEN_SRC))
TORTURE_SRC  := $(wildcard runners/torture/*.c)
TORTURE_COMPILER := scripts/case_compiler.py $(wildcard scripts/case_*.py) \
                    scripts/c_tokens.py scripts/toml_locations.py
TORTURE_PROGRAM := $(BUILD)/torture
TORTURE_QUICK := --summary-program "build/asan/torture -P every -G default \
                 --save-failures build/asan/failures"

all: $(TORTURE_PROGRAM)

# the set of suites, rewritten only when it changes (renames keep mtimes)
$(TORTURE_GEN)/suites.list: torture-suites-check
	@mkdir -p $(@D)
	@echo '$(TORTURE_TOML)' | cmp -s - $@ || echo '$(TORTURE_TOML)' > $@

.PHONY: torture-suites-check
torture-suites-check:

$(TORTURE_GEN)/stamp: $(TORTURE_TOML) $(TORTURE_COMPILER) $(TORTURE_GEN)/suites.list
	@mkdir -p $(TORTURE_GEN)
	$(PYTHON) scripts/case_compiler.py -o $(TORTURE_GEN) $(TORTURE_TOML)
	@touch $@

$(TORTURE_GEN_SRC): $(TORTURE_GEN)/stamp ;

$(BUILD)/obj/gen-cases/%.o: $(TORTURE_GEN)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPTARGETS) -c $< -o $@

# in_cases.o (cases compiled inside a core source) precedes the core's library
$(TORTURE_PROGRAM): $(call obj,$(TORTURE_SRC)) $(TORTURE_GEN_OBJ) $(LIBS)
	$(CC) $(LDFLAGS) $^ -o $@

torture: DEPS = python3-toml
torture: deps
	@$(MAKE) --no-print-directory -j$(NPROC) $(TORTURE_PROGRAM)
	$(TORTURE_PROGRAM) -P every -F all

# ---- wear: lifetime runs of TOML workloads (runners/wear, cases/wear) -------
# build/wear links the compiled cases with its own main; lfs_file_write is
# wrapped to count the application's bytes. `make wear` compares
# block_cycles on the standard workload (64 blocks of 512 B, 1000 erase
# cycles; 500 rather than 1000, which would equal erase_cycles and so -1):
# build/wear-report/report.html. The report is drawn even if a run failed.
WEAR_SRC     := $(wildcard runners/wear/*.c)
WEAR_PROGRAM := $(BUILD)/wear
WEAR_OUT     ?= build/wear-report
WEAR_CASE    ?= wear_mixed
WEAR_ARGS    ?= -D ERASE_CYCLES=1000 -D BLOCK_CYCLES=-1,1,10,100,500

all: $(if $(WEAR_SRC),$(WEAR_PROGRAM))

$(WEAR_PROGRAM): $(call obj,$(WEAR_SRC)) $(TORTURE_GEN_OBJ) $(LIBS)
	$(CC) $(LDFLAGS) -Wl,--wrap=lfs_file_write $^ -lm -o $@

.PHONY: wear
wear: DEPS = python3-toml python3-matplotlib
wear: deps
	@$(MAKE) --no-print-directory -j$(NPROC) $(WEAR_PROGRAM)
	rm -rf $(WEAR_OUT)
	@$(WEAR_PROGRAM) $(WEAR_ARGS) --out $(WEAR_OUT) $(WEAR_CASE); s=$$?; \
	    "$$(scripts/find-python)" scripts/wear_report.py $(WEAR_OUT) && exit $$s

# ---- top-level jobs ----------------------------------------------------------

deps:
	@scripts/ensure-deps $(DEPS)

asan:
	$(MAKE) -j$(NPROC) BUILD=build/asan SANITIZE=1 all units

test: DEPS = libcmocka-dev python3-pytest python3-toml
test: deps
	@$(MAKE) --no-print-directory asan
	@$(MAKE) --no-print-directory run-tests PYTHON="$$(scripts/find-python)"

run-tests:
	@BROWNOUT_BUILD=build/asan $(PYTHON) scripts/run_tests.py \
	    --units "$(patsubst %,build/asan/unit/%,$(notdir $(UNITS)))" \
	    --pytest tests/py $(TORTURE_QUICK)

# coverage of lfs/ by the unit tests and the torture quick run, via gcovr:
# text on stdout (and build/coverage/coverage.txt), HTML in build/coverage/.
# Workers end with _exit: gcov_exit.o makes that write the counters too.
# -O0: exact lines.
COV_BUILD := build/cov
COV_EXIT  := $(COV_BUILD)/obj/tests/coverage/gcov_exit.o
COV_MAKE   = $(MAKE) --no-print-directory BUILD=$(COV_BUILD) \
             XFLAGS='-O0 --coverage'

.PHONY: coverage mutants
coverage: DEPS = gcovr libcmocka-dev python3-toml
coverage: deps
	+@$(COV_MAKE) $(COV_EXIT)
	+@$(COV_MAKE) XLDFLAGS='--coverage -Wl,--wrap=_exit $(COV_EXIT)' \
	    $(COV_BUILD)/torture units
	@"$$(scripts/find-python)" scripts/coverage_report.py --build $(COV_BUILD) \
	    --out build/coverage --units "$(patsubst %,$(COV_BUILD)/unit/%,$(notdir $(UNITS)))" \
	    --torture "$(COV_BUILD)/torture -P every -G default -q --save-failures none"

# seeded bugs (tests/mutants/*.patch), each applied to a copy of lfs/ and
# run against the unit tests and the torture quick run; see tests/mutants/.
MUTANT_JOBS ?= 2
mutants: DEPS = libcmocka-dev python3-toml patch
mutants: deps
	@"$$(scripts/find-python)" scripts/mutants.py -j $(MUTANT_JOBS) $(MUTANT_ARGS)

bench: DEPS = python3-toml
bench: deps
	@$(MAKE) --no-print-directory -j$(NPROC) benches $(TORTURE_PROGRAM)
	@for b in $(BENCHES); do echo "== $$b"; $$b || exit 1; done
	@echo "== scripts/bench_runs.py (the torture runs of make test and make torture)"
	@"$$(scripts/find-python)" scripts/bench_runs.py --torture $(TORTURE_PROGRAM)

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
