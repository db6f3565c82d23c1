// The only way the project includes Eigen: its assertions must throw, because
// PGXS builds without NDEBUG and the default assert() would abort the server.
#pragma once

#include "error.hpp"

#ifdef EIGEN_CORE_H
#error "include core/eigen.hpp before any Eigen header"
#endif

#define eigen_assert(x) \
    do { \
        if (!(x)) ::pgcrm::eigen_assertion_failed(#x, __FILE__, __LINE__); \
    } while (0)

#include <Eigen/Dense>
