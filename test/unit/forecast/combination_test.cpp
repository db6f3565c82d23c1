// 'auto', the combination and the STL methods. References: R 4.2.2 with
// forecast 8.20, printed with 17 significant digits:
//   stlf(USAccDeaths, h = 6)$mean (model ETS(A,N,N));
//   forecast(stlm(USAccDeaths, method = "arima"), h = 6) (ARIMA(0,1,1)): $mean, $lower[, 2];
//   Box.test(diff(Nile), lag = 10, type = "Ljung-Box") (and fitdf = 2).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/forecast/forecast.hpp"
#include "core/forecast/timeseries.hpp"
#include "../testing.hpp"

using namespace pgcrm;
using pgcrm::testing::expect_relative;

namespace {

#include "../data/series.inc"

forecast::Result run(const std::vector<double>& y, int m, const char* method, int horizon = 6) {
    forecast::Options o;
    o.horizon = horizon;
    o.season_length = m;
    o.method = method;
    return forecast::forecast(y, o);
}

}  // namespace

// The combination is the mean of its members' points and bounds, each of
// which is tested against R on its own. Its ARIMA member searches with
// auto.arima's approximation, where R picks ARIMA(0,1,1)(2,1,0)[12] too
// (auto.arima(USAccDeaths, approximation = TRUE)); that member starts its
// final fit where the search left it, so it is the fixed-order fit to 1e-4.
TEST(Combination, IsTheMeanOfEtsArimaAndTheta) {
    const forecast::Result comb = run(us_acc_deaths, 12, "comb");
    const forecast::Result members[] = {run(us_acc_deaths, 12, "ets"), run(us_acc_deaths, 12, "arima(0,1,1)(2,1,0)"),
                                        run(us_acc_deaths, 12, "theta")};
    ASSERT_EQ(comb.members.size(), 3u);
    EXPECT_EQ(comb.members[0], "ETS(A,N,A)");
    EXPECT_EQ(comb.members[1], "ARIMA(0,1,1)(2,1,0)[12]");
    EXPECT_EQ(comb.members[2], "Theta (deseasonalised)");
    EXPECT_EQ(comb.model, "mean of ETS(A,N,A), ARIMA(0,1,1)(2,1,0)[12], Theta (deseasonalised)");
    for (int h = 0; h < 6; ++h) {
        expect_relative(comb.point[h], (members[0].point[h] + members[1].point[h] + members[2].point[h]) / 3, 1e-4);
        expect_relative(comb.lower[1][h],
                        (members[0].lower[1][h] + members[1].lower[1][h] + members[2].lower[1][h]) / 3, 1e-4);
    }
    const forecast::Result automatic = run(us_acc_deaths, 12, "auto");
    EXPECT_EQ(automatic.model, comb.model);
    EXPECT_EQ(automatic.point, comb.point);
}

// A member the data cannot support is left out, and the note says so.
TEST(Combination, LeavesOutWhatCannotBeFitted) {
    const std::vector<double> y{3, 5, 4, 6, 5, 7, 6, 8};
    const forecast::Result r = run(y, 1, "comb", 2);
    EXPECT_EQ(r.point.size(), 2u);
    for (double v : r.point) EXPECT_TRUE(std::isfinite(v));
    const forecast::Result tiny = run({3, 5, 4}, 1, "auto", 2);
    EXPECT_EQ(tiny.model, "naive");
}

TEST(Combination, StlMethodsMatchR) {
    forecast::Result r = run(us_acc_deaths, 12, "stl");
    EXPECT_EQ(r.model, "STL(12) + ETS(A,N,N)");
    expect_relative(r.point,
                    {8332.9518361715163, 7601.4899806267513, 8356.9088674555151, 8583.5856392088535,
                     9456.5811736650649, 9857.1150543277690},
                    1e-4);
    r = run(us_acc_deaths, 12, "stl_arima");
    EXPECT_EQ(r.model, "STL(12) + ARIMA(0,1,1)");
    expect_relative(r.point,
                    {8334.7482942856332, 7603.2864387408681, 8358.7053255696319, 8585.3820973229704,
                     9458.3776317791817, 9858.9115124418859},
                    1e-4);
    expect_relative(r.lower[1],
                    {7860.2093756271888, 7047.5446329414481, 7732.1985625535626, 7895.3295678032646,
                     8710.1569003848836, 9056.7294680904251},
                    1e-4);
}

// Weekly data: the season of 52 is taken out by STL instead of being ignored.
TEST(Combination, LongSeasonsUseStl) {
    std::vector<double> y(52 * 3);
    for (size_t t = 0; t < y.size(); ++t) y[t] = 200 + 40 * std::sin(2 * M_PI * t / 52.0) + (t * 7919 % 13);
    const forecast::Result r = run(y, 52, "auto", 52);
    ASSERT_EQ(r.members.size(), 3u);
    EXPECT_EQ(r.members[0].rfind("STL(52) + ETS(", 0), 0u) << r.members[0];
    EXPECT_EQ(r.members[1].rfind("STL(52) + ARIMA(", 0), 0u) << r.members[1];
    // The forecast follows the season: its peak is a quarter of the year after a year's start.
    const auto peak = std::max_element(r.point.begin(), r.point.end()) - r.point.begin();
    EXPECT_NEAR(static_cast<double>((y.size() + peak) % 52), 13, 3);
}

TEST(Combination, ResidualsAndLjungBox) {
    std::vector<double> d(nile.size() - 1);
    for (size_t t = 1; t < nile.size(); ++t) d[t - 1] = nile[t] - nile[t - 1];
    timeseries::LjungBox lb = timeseries::ljung_box(d, 10);
    EXPECT_NEAR(lb.statistic, 30.260055429454777, 1e-10);
    EXPECT_NEAR(lb.p_value, 0.00077661908522175249, 1e-12);
    EXPECT_NEAR(timeseries::ljung_box(d, 10, 2).p_value, 0.00019012976934673631, 1e-12);
    const forecast::Result r = run(nile, 1, "naive");
    ASSERT_EQ(r.residuals.size(), nile.size());
    EXPECT_TRUE(std::isnan(r.residuals[0]));
    EXPECT_EQ(r.ljung_box_lag, 10);
    EXPECT_NEAR(r.ljung_box, 30.260055429454777, 1e-10);  // the naive residuals are the differences
}
