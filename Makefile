# pgcrm: PGXS build of the extension, plus the project's own commands.
#   make demo   installs what is missing, builds, installs, runs the demo
#   make test   the same set-up, then every test (unit, SQL, concurrency)
#   make bench  runs the benchmarks and rewrites bench/results/*.md

EXTENSION  = pgcrm
EXTVERSION = 0.3.0
MODULE_big = pgcrm

CORE_SRCS = $(sort $(wildcard src/core/*.cpp src/core/*/*.cpp))
GLUE_SRCS = $(sort $(wildcard src/pg/*.cpp))
OBJS      = $(CORE_SRCS:.cpp=.o) $(GLUE_SRCS:.cpp=.o)

# The install script: the parts in this order. Each capability has its tables
# (tables, types, indexes, seeds: run once) and its functions (functions,
# views, triggers, policies, grants: CREATE OR REPLACE, run again by every
# update script); docs/development.md, "SQL".
SQL_PARTS = sql/schema.sql \
            sql/common/tables.sql sql/common/functions.sql \
            sql/boundary/functions.sql \
            sql/workflow/tables.sql sql/workflow/functions.sql \
            sql/accounts/tables.sql sql/accounts/functions.sql \
            sql/catalog/tables.sql \
            sql/orders/tables.sql sql/orders/functions.sql \
            sql/projects/tables.sql sql/projects/functions.sql \
            sql/credit/tables.sql sql/credit/functions.sql \
            sql/inventory/tables.sql sql/inventory/functions.sql \
            sql/billing/tables.sql sql/billing/functions.sql sql/billing/demo_data.sql \
            sql/kmeans/tables.sql sql/kmeans/functions.sql \
            sql/statistics/tables.sql sql/statistics/functions.sql \
            sql/forecast/tables.sql sql/forecast/functions.sql \
            sql/warehouse/tables.sql sql/warehouse/job_registry.sql sql/warehouse/functions.sql \
            sql/warehouse/reservations.sql sql/warehouse/facts.sql sql/warehouse/features.sql \
            sql/warehouse/segments.sql sql/warehouse/forecast.sql sql/warehouse/kpi.sql sql/warehouse/data_quality.sql \
            sql/billing/jobs.sql \
            sql/warehouse/comments.sql \
            sql/bi/tables.sql sql/bi/functions.sql sql/bi/labels.sql \
            sql/operations/tables.sql sql/operations/functions.sql \
            sql/demo_data/functions.sql \
            sql/events/tables.sql sql/events/functions.sql sql/inbound/tables.sql sql/inbound/functions.sql \
            sql/automation/tables.sql sql/automation/functions.sql sql/search/tables.sql sql/search/functions.sql \
            sql/merge/tables.sql sql/merge/functions.sql \
            sql/citus/functions.sql \
            sql/audit/tables.sql sql/audit/functions.sql \
            sql/security/tables.sql sql/security/functions.sql \
            sql/finish.sql
# Parts run once: by CREATE EXTENSION, or by the update to the release that added them.
ONCE_PARTS = sql/schema.sql $(filter %/tables.sql,$(SQL_PARTS)) sql/warehouse/job_registry.sql
# This release's update script: its migration (sql/versions/), the parts it
# adds, and every part that runs again.
PREVIOUS  = 0.2.0
NEW_PARTS = sql/warehouse/job_registry.sql sql/operations/tables.sql sql/billing/tables.sql \
            sql/events/tables.sql sql/inbound/tables.sql sql/automation/tables.sql sql/search/tables.sql sql/merge/tables.sql \
            sql/bi/tables.sql
UPDATE_PARTS = sql/versions/$(PREVIOUS)--$(EXTVERSION).sql $(filter-out $(filter-out $(NEW_PARTS),$(ONCE_PARTS)),$(SQL_PARTS))
DATA_built = $(EXTENSION)--$(EXTVERSION).sql $(EXTENSION)--$(PREVIOUS)--$(EXTVERSION).sql
EXTRA_CLEAN = build build-sanitize
# make installcheck (PGXS): a smoke test against a running server; make test runs everything.
REGRESS      = pgcrm
REGRESS_OPTS = --inputdir=test/regress --outputdir=build/regress --load-extension=pg_trgm --load-extension=pgcrm

PGCRM_CXXFLAGS = -std=c++17 -Wall -Wextra -Isrc -isystem /usr/include/eigen3
PG_CXXFLAGS   += $(PGCRM_CXXFLAGS)
SHLIB_LINK    += -lstdc++

# No LLVM bitcode: the JIT's inliner asserts (and aborts the backend) on the
# ThinLTO summaries of C++ objects, and inlining C++ entry points gains nothing.
override with_llvm = no

PG_CONFIG ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(PGXS),)
include $(PGXS)
# PostgreSQL's headers are not ours: keep -Wextra for our code only.
override CPPFLAGS := $(patsubst -I$(includedir_server),-isystem $(includedir_server),$(CPPFLAGS))
endif

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_PARTS) Makefile
	cat $(SQL_PARTS) > $@

$(EXTENSION)--$(PREVIOUS)--$(EXTVERSION).sql: $(UPDATE_PARTS) Makefile
	cat $(UPDATE_PARTS) > $@

SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

# An earlier build's bitcode would still be inlined by the JIT: remove it.
install: remove-bitcode
remove-bitcode:
	rm -rf '$(DESTDIR)$(bitcodedir)/$(MODULE_big)' '$(DESTDIR)$(bitcodedir)/$(MODULE_big).index.bc'

# The C++ against .clang-format (Debian's clang-format).
FORMAT_FILES = $(sort $(wildcard src/core/*.[ch]pp src/core/*/*.[ch]pp src/pg/*.[ch]pp test/unit/*.[ch]pp))
.PHONY: format-check format
format-check:
	clang-format --style=file --dry-run --Werror $(FORMAT_FILES)
format:
	clang-format --style=file -i $(FORMAT_FILES)

.PHONY: print-sql-parts
print-sql-parts:
	@echo $(SQL_PARTS)

.PHONY: deps build-all remove-bitcode unit demo test test-fuzz test-jit test-sanitize bench
deps:
	scripts/install-deps

# Everything a run needs, in the right order; recursive so that the PGXS
# include above sees pg_config once deps has installed it.
build-all: deps
	$(MAKE) all
	$(SUDO) $(MAKE) install
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build -j2

unit:
	cd build && ctest --output-on-failure

demo: build-all
	scripts/demo

test: build-all
	scripts/run-tests

# The scale-out suite on a throwaway Citus cluster (docs/citus.md); builds
# Citus from its source tarball first when it is missing.
.PHONY: test-citus
test-citus: build-all
	scripts/run-citus-tests

# sqlsmith's random queries at length (make test runs 5,000 of them).
test-fuzz: build-all
	scripts/run-fuzz

# Every pgTAP file under forced JIT (make test runs the C++ capabilities' files so).
test-jit: build-all
	scripts/run-jit

# The C++ core and its unit tests under AddressSanitizer and UndefinedBehaviorSanitizer.
test-sanitize: deps
	cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=Debug \
	      -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" >/dev/null
	cmake --build build-sanitize -j2
	cd build-sanitize && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure

bench: build-all
	scripts/install-bench-deps
	bench/workflow/run
	bench/workflow/stack
	bench/inventory/run
	bench/kmeans/run
	bench/statistics/run
	bench/forecast/run
	bench/warehouse/run
	bench/events/run
	bench/search/run
	bench/demo_data/run
	bench/billing/run
	bench/bi/run
	scripts/run-citus-tests build && bench/citus/run
