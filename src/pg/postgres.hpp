// PostgreSQL's C headers for the glue. Include this after every C++ standard
// header: port.h redefines names such as printf and snprintf.
#pragma once

extern "C" {
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/elog.h"
#include "utils/memutils.h"
}

// errcode() of a code from core/error.hpp's sqlstate list.
#define PGCRM_ERRCODE(code) MAKE_SQLSTATE((code)[0], (code)[1], (code)[2], (code)[3], (code)[4])

#if PG_VERSION_NUM < 150000
#error "pgcrm needs PostgreSQL 15 or later"
#endif
