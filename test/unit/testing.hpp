// Comparisons the unit tests share: relative to the expected value, with NaN
// expected meaning "undefined" (R's NA).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace pgcrm::testing {

inline void expect_relative(double actual, double expected, double tolerance = 1e-8) {
    if (std::isnan(expected)) {
        EXPECT_TRUE(std::isnan(actual)) << "expected NaN, got " << actual;
        return;
    }
    EXPECT_NEAR(actual, expected, tolerance * std::fabs(expected)) << "expected " << expected;
}

inline void expect_relative(const std::vector<double>& actual, const std::vector<double>& expected,
                            double tolerance = 1e-8) {
    ASSERT_EQ(actual.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
        SCOPED_TRACE("index " + std::to_string(i));
        expect_relative(actual[i], expected[i], tolerance);
    }
}

}  // namespace pgcrm::testing
