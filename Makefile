# pgcrm: PGXS build of the extension, plus the project's own commands.
#   make demo   installs what is missing, builds, installs, runs the demo
#   make test   the same set-up, then every test (unit, SQL, concurrency)
#   make bench  runs the benchmarks and rewrites bench/results/*.md

EXTENSION  = pgcrm
EXTVERSION = 0.1.0
MODULE_big = pgcrm

CORE_SRCS = $(sort $(wildcard src/core/*.cpp))
GLUE_SRCS = $(sort $(wildcard src/pg/*.cpp))
OBJS      = $(CORE_SRCS:.cpp=.o) $(GLUE_SRCS:.cpp=.o)

# The install script, assembled from one file per area in this order.
SQL_PARTS  = sql/schema.sql sql/workflow.sql sql/common.sql sql/accounts.sql sql/catalog.sql \
             sql/orders.sql sql/projects.sql sql/credit.sql sql/inventory.sql sql/segmentation.sql sql/statistics.sql \
             sql/forecast.sql sql/warehouse.sql sql/etl.sql sql/bi.sql sql/jobs.sql sql/demo_data.sql sql/finish.sql
DATA_built = $(EXTENSION)--$(EXTVERSION).sql
EXTRA_CLEAN = build

PGCRM_CXXFLAGS = -std=c++17 -Wall -Wextra -Isrc -isystem /usr/include/eigen3
PG_CXXFLAGS   += $(PGCRM_CXXFLAGS)
SHLIB_LINK    += -lstdc++

PG_CONFIG ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(PGXS),)
include $(PGXS)
# PostgreSQL's headers are not ours: keep -Wextra for our code only.
override CPPFLAGS := $(patsubst -I$(includedir_server),-isystem $(includedir_server),$(CPPFLAGS))
# The LLVM bitcode step ignores PG_CXXFLAGS.
BITCODE_CXXFLAGS += $(PGCRM_CXXFLAGS)
endif

$(DATA_built): $(SQL_PARTS) Makefile
	cat $(SQL_PARTS) > $@

SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: deps build-all unit demo test bench test-sql
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

bench: build-all
	scripts/install-bench-deps
	bench/workflow/run
	bench/reservation/run
	bench/kmeans/run
	bench/regression/run
	bench/forecast/run
	bench/etl/run
