// The distribution functions the statistics share (Boost.Math), with R's
// conventions for undefined and infinite statistics.
#pragma once

#include <cmath>
#include <limits>

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/fisher_f.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>

namespace pgcrm::statistics {

inline constexpr double nan = std::numeric_limits<double>::quiet_NaN();
inline constexpr double infinity = std::numeric_limits<double>::infinity();

// Two-sided p-value of a t statistic (df > 0) or, with df = ∞, of a z.
inline double two_sided(double statistic, double df) {
    if (std::isnan(statistic) || !(df > 0)) return nan;
    if (std::isinf(statistic)) return 0;
    const double a = std::fabs(statistic);
    if (std::isinf(df)) return 2 * boost::math::cdf(boost::math::complement(boost::math::normal(), a));
    return 2 * boost::math::cdf(boost::math::complement(boost::math::students_t(df), a));
}

// P(X > statistic) for X ~ F(df1, df2) or χ²(df): R's lower.tail = FALSE.
inline double f_upper(double statistic, double df1, double df2) {
    if (std::isnan(statistic) || !(df1 > 0 && df2 > 0)) return nan;
    if (std::isinf(statistic)) return 0;
    return boost::math::cdf(boost::math::complement(boost::math::fisher_f(df1, df2), statistic));
}

inline double chi_squared_upper(double statistic, double df) {
    if (std::isnan(statistic) || !(df > 0)) return nan;
    if (std::isinf(statistic)) return 0;
    return boost::math::cdf(boost::math::complement(boost::math::chi_squared(df), statistic));
}

// The quantile that leaves (1 − level)/2 in the upper tail: of the normal
// distribution, or of Student's t with df degrees of freedom.
inline double central_quantile(double level, double df = infinity) {
    const double upper = 1 - (1 - level) / 2;
    if (std::isinf(df)) return boost::math::quantile(boost::math::normal(), upper);
    return boost::math::quantile(boost::math::students_t(df), upper);
}

}  // namespace pgcrm::statistics
