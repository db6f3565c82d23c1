// Intermittent demand. Croston against R 4.2.2 with forecast 8.20:
//   y <- c(0,0,3,0,0,0,5,0,2,0,0,0,0,4,0,0,6,0,0,0,1,0,0,3)
//   croston(y, h = 3)$mean, $fitted; croston(y, h = 3, alpha = 0.3)$mean
// SBA and TSB by hand (their papers' recursions), below.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "core/forecast/forecast.hpp"
#include "core/forecast/intermittent.hpp"
#include "../testing.hpp"

using namespace pgcrm;
using pgcrm::testing::expect_relative;

namespace {
const std::vector<double> demand{0, 0, 3, 0, 0, 0, 5, 0, 2, 0, 0, 0, 0, 4, 0, 0, 6, 0, 0, 0, 1, 0, 0, 3};
}

TEST(Intermittent, CrostonMatchesR) {
    intermittent::Model m = intermittent::fit(demand, intermittent::Method::croston);
    EXPECT_NEAR(m.rate, 0.98734965110975093, 1e-14);
    // R's fitted values from the second period on (the first is NA).
    const std::vector<double> r_fitted{0, 0, 1, 1, 1, 1, 1.03225806451612900, 1.03225806451612900, 1.03010033444816074,
                                       1.03010033444816074, 1.03010033444816074, 1.03010033444816074,
                                       1.03010033444816074, 0.99404575368223136, 0.99404575368223136,
                                       0.99404575368223136, 1.08918944481225788, 1.08918944481225788,
                                       1.08918944481225788, 1.08918944481225788, 0.98605405704348503,
                                       0.98605405704348503, 0.98605405704348503};
    EXPECT_TRUE(std::isnan(m.fitted[0]));
    expect_relative(std::vector<double>(m.fitted.begin() + 1, m.fitted.end()), r_fitted, 1e-14);
    EXPECT_NEAR(intermittent::fit(demand, intermittent::Method::croston, 0.3).rate, 0.92885521174265084, 1e-14);
}

TEST(Intermittent, SbaIsCrostonDebiased) {
    const double croston = intermittent::fit(demand, intermittent::Method::croston).rate;
    EXPECT_NEAR(intermittent::fit(demand, intermittent::Method::sba).rate, 0.95 * croston, 1e-14);
}

// TSB on 0, 4, 0, 0 by hand with α = β = 0.1: p₀ = 1/4, z₀ = 4;
// p: 0.225, 0.3025, 0.27225, 0.245025; z stays 4 (the demand equals it).
TEST(Intermittent, TsbDecaysWithoutDemand) {
    const intermittent::Model m = intermittent::fit({0, 4, 0, 0}, intermittent::Method::tsb);
    EXPECT_NEAR(m.rate, 0.245025 * 4, 1e-14);
    EXPECT_NEAR(m.fitted[1], 0.225 * 4, 1e-14);
    EXPECT_NEAR(m.fitted[3], 0.27225 * 4, 1e-14);
}

// ADI: 7 demands, the last in period 24 → 24/7; sizes 3,5,2,4,6,1,3: mean
// 24/7, Σz² = 100, so the sample variance is (100 − 7·(24/7)²)/6 = 124/42
// and CV² = (124/42)/(24/7)² = 6076/24192.
TEST(Intermittent, ProfileAndChoice) {
    const intermittent::Profile p = intermittent::profile(demand);
    EXPECT_EQ(p.demands, 7);
    EXPECT_NEAR(p.adi, 24.0 / 7, 1e-14);
    EXPECT_NEAR(p.cv2, 6076.0 / 24192, 1e-14);
    EXPECT_TRUE(p.intermittent());
    EXPECT_FALSE(p.lumpy());
    EXPECT_EQ(intermittent::choose(p), intermittent::Method::sba);
    std::vector<double> stopped = demand;
    stopped.insert(stopped.end(), 8, 0.0);  // 8 > 2·24/7 periods without demand
    EXPECT_EQ(intermittent::choose(intermittent::profile(stopped)), intermittent::Method::tsb);
    EXPECT_THROW(intermittent::profile({1, -1}), Error);
    EXPECT_THROW(intermittent::fit({0, 0, 0}, intermittent::Method::sba), Error);
}

TEST(Intermittent, BoundsAreNeverNegative) {
    const intermittent::Model m = intermittent::fit(demand, intermittent::Method::sba);
    const forecast::Prediction p = intermittent::predict(m, demand, 4, {80, 95});
    for (int l = 0; l < 2; ++l)
        for (int h = 0; h < 4; ++h) {
            EXPECT_GE(p.lower[l][h], 0);
            EXPECT_LE(p.lower[l][h], p.point[h]);
            EXPECT_GT(p.upper[l][h], p.point[h]);
        }
    EXPECT_GE(p.upper[1][0], p.upper[0][0]);
}

TEST(Intermittent, AutoUsesThemForManyZeros) {
    forecast::Options o;
    o.horizon = 3;
    o.season_length = 12;
    forecast::Result r = forecast::forecast(demand, o);
    EXPECT_EQ(r.model, "SBA");
    EXPECT_NE(r.note.find("ADI 3.43 > 1.32"), std::string::npos) << r.note;
    EXPECT_NEAR(r.point[2], 0.95 * 0.98734965110975093, 1e-14);
    o.method = "croston";
    EXPECT_NEAR(forecast::forecast(demand, o).point[0], 0.98734965110975093, 1e-14);
    std::vector<double> stopped = demand;
    stopped.insert(stopped.end(), 8, 0.0);
    o.method = "auto";
    EXPECT_EQ(forecast::forecast(stopped, o).model, "TSB");
}
