// STL against R 4.2.2's stats::stl and forecast 8.20's seasonal strength,
// printed with 17 significant digits:
//   stl(USAccDeaths, s.window = 11); stl(AirPassengers, s.window = "periodic");
//   stl(UKgas, s.window = 7, robust = TRUE) (seasonal, trend and weights);
//   forecast:::seas.heuristic(y)
#include <gtest/gtest.h>

#include <vector>

#include "core/error.hpp"
#include "core/forecast/stl.hpp"
#include "../testing.hpp"

using namespace pgcrm;
using pgcrm::testing::expect_relative;

namespace {
#include "../data/series.inc"
}

TEST(Stl, MatchesRsStl) {
    stl::Options o;
    o.season_window = 11;
    stl::Decomposition d = stl::decompose(us_acc_deaths, 12, o);
    expect_relative({d.seasonal[0], d.seasonal[1], d.seasonal[2]},
                    {-860.44950334020484, -1572.22365993246785, -757.59074259193858}, 1e-10);
    expect_relative({d.trend[0], d.trend[35], d.trend[71]}, {9988.9490071282198, 8460.9292806247449, 9071.5762988132374},
                    1e-10);
    EXPECT_NEAR(d.remainder[5], us_acc_deaths[5] - d.seasonal[5] - d.trend[5], 1e-9);

    d = stl::decompose(air_passengers, 12, stl::Options{});  // periodic
    expect_relative({d.seasonal[0], d.seasonal[1]}, {-25.497718339773588, -35.220934801570166}, 1e-10);
    expect_relative({d.trend[0], d.trend[69]}, {127.1873484372575, 250.1036567040494}, 1e-10);
    EXPECT_DOUBLE_EQ(d.seasonal[12], d.seasonal[0]);

    o.season_window = 7;
    o.inner = 1;
    o.outer = 15;  // robust = TRUE
    d = stl::decompose(uk_gas, 4, o);
    expect_relative({d.seasonal[0], d.seasonal[49]}, {41.479655546452499, -24.360770195843237}, 1e-10);
    expect_relative({d.trend[0], d.trend[107]}, {121.49364223718906, 715.29975979439132}, 1e-10);
}

TEST(Stl, SeasonalStrengthMatchesR) {
    EXPECT_NEAR(stl::seasonal_strength(us_acc_deaths, 12), 0.94479446488915575, 1e-12);
    EXPECT_NEAR(stl::seasonal_strength(air_passengers, 12), 0.94067249031021838, 1e-12);
    EXPECT_NEAR(stl::seasonal_strength(uk_gas, 4), 0.98309478255745752, 1e-12);
}

// Two seasons, 7 and 28 (a weekly and a four-weekly cycle), recovered by MSTL.
TEST(Stl, MstlSeparatesTwoSeasons) {
    std::vector<double> y(28 * 12);
    for (size_t t = 0; t < y.size(); ++t) {
        const double week[] = {5, -3, -2, -1, 0, 4, -3};
        y[t] = 100 + 0.05 * t + week[t % 7] + 8 * std::sin(2 * M_PI * t / 28.0);
    }
    const stl::Multiple d = stl::mstl(y, {28, 7, 400});
    ASSERT_EQ(d.periods, (std::vector<int>{7, 28}));  // 400 > n / 2 is dropped
    for (size_t t = 56; t < y.size() - 56; ++t) {
        const double week[] = {5, -3, -2, -1, 0, 4, -3};
        EXPECT_NEAR(d.seasonal[0][t], week[t % 7], 0.3) << t;
        EXPECT_NEAR(d.seasonal[1][t], 8 * std::sin(2 * M_PI * t / 28.0), 0.6) << t;
        EXPECT_NEAR(d.seasonal[0][t] + d.seasonal[1][t] + d.trend[t] + d.remainder[t], y[t], 1e-9);
    }
    EXPECT_THROW(stl::decompose({1, 2, 3, 4, 5, 6, 7, 8}, 4, stl::Options{}), Error);
}
