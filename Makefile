# pgcrm: PGXS build of the extension, plus the project's own commands.
#   make demo   installs what is missing, builds, installs, runs the demo
#   make test   the same set-up, then every test (unit, SQL, concurrency)
#   make bench  runs the benchmarks and rewrites bench/results/*.md

EXTENSION  = pgcrm
EXTVERSION = 0.2.0
MODULE_big = pgcrm

CORE_SRCS = $(sort $(wildcard src/core/*.cpp src/core/*/*.cpp))
GLUE_SRCS = $(sort $(wildcard src/pg/*.cpp))
OBJS      = $(CORE_SRCS:.cpp=.o) $(GLUE_SRCS:.cpp=.o)

# The install script, assembled from one file per area in this order.
SQL_PARTS  = sql/schema.sql sql/workflow.sql sql/common.sql sql/accounts.sql sql/catalog.sql \
             sql/orders.sql sql/projects.sql sql/credit.sql sql/inventory.sql sql/segmentation.sql sql/statistics.sql \
             sql/forecast.sql sql/warehouse.sql sql/etl.sql sql/bi.sql sql/jobs.sql sql/demo_data.sql sql/audit.sql sql/security.sql sql/finish.sql
DATA_built = $(EXTENSION)--$(EXTVERSION).sql $(EXTENSION)--0.1.0--0.2.0.sql
# Released install scripts stay installable, so a test can upgrade from them.
DATA       = sql/versions/$(EXTENSION)--0.1.0.sql
EXTRA_CLEAN = build build-sanitize

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

# An update script: what changed in the released objects, then the new areas.
$(EXTENSION)--0.1.0--0.2.0.sql: sql/versions/0.1.0--0.2.0.sql sql/audit.sql sql/security.sql Makefile
	cat sql/versions/0.1.0--0.2.0.sql sql/audit.sql sql/security.sql > $@

SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

# An earlier build's bitcode would still be inlined by the JIT: remove it.
install: remove-bitcode
remove-bitcode:
	rm -rf '$(DESTDIR)$(bitcodedir)/$(MODULE_big)' '$(DESTDIR)$(bitcodedir)/$(MODULE_big).index.bc'

.PHONY: deps build-all remove-bitcode unit demo test test-sanitize bench
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

# The C++ core and its unit tests under AddressSanitizer and UndefinedBehaviorSanitizer.
test-sanitize: deps
	cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=Debug \
	      -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" >/dev/null
	cmake --build build-sanitize -j2
	cd build-sanitize && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure

bench: build-all
	scripts/install-bench-deps
	bench/workflow/run
	bench/reservation/run
	bench/kmeans/run
	bench/regression/run
	bench/forecast/run
	bench/etl/run
