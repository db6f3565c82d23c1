// The core side of the C++/PostgreSQL boundary: Eigen assertions throw, and
// long loops reach the interrupt hook.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "core/eigen.hpp"
#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "core/boundary.hpp"

TEST(Boundary, EigenAssertionThrowsInsteadOfAborting) {
    Eigen::MatrixXd a = Eigen::MatrixXd::Ones(2, 3);
    try {
        Eigen::MatrixXd c = a * a;
        FAIL() << "a 2x3 by 2x3 product must not be computed";
    } catch (const pgcrm::Error& e) {
        EXPECT_STREQ(e.sqlstate(), "XX000");
        EXPECT_NE(std::string(e.what()).find("Eigen assertion failed"), std::string::npos);
    }
}

TEST(Boundary, EigenOutOfRangeAccessThrows) {
    Eigen::VectorXd v(3);
    EXPECT_THROW(v(3) = 1.0, pgcrm::Error);
}

TEST(Boundary, FaultsUnwindTheirObjects) {
    for (const char* fault : {"cpp_exception", "core_error", "bad_alloc", "eigen_assert"}) {
        EXPECT_ANY_THROW(pgcrm::boundary::raise_fault(fault)) << fault;
        EXPECT_EQ(pgcrm::boundary::live_probes(), 0) << fault;
    }
    EXPECT_FALSE(pgcrm::boundary::raise_fault("no_such_fault"));
}

TEST(Boundary, InterruptHookStopsLongLoops) {
    static int calls = 0;
    pgcrm::set_interrupt_hook([] {
        if (++calls == 1000) throw std::runtime_error("cancelled");
    });
    EXPECT_THROW(pgcrm::boundary::raise_fault("interrupt"), std::runtime_error);
    EXPECT_EQ(calls, 1000);
    EXPECT_EQ(pgcrm::boundary::live_probes(), 0);
    pgcrm::set_interrupt_hook(nullptr);
}
