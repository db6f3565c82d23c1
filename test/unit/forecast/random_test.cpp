// The simulated ETS intervals' draws. The engine's outputs are fixed by the
// C++ standard (mt19937_64); the uniforms (⌊x/2¹¹⌋ + ½)/2⁵³ were computed
// from them in Python, and the normal quantiles by R 4.2.2:
//   qnorm(c(0.5154536941736354, 0.6624498614818692, 0.0343958991724998))
#include <gtest/gtest.h>

#include <random>

#include "core/forecast/random.hpp"

using namespace pgcrm;

TEST(Random, NormalDrawsArePinned) {
    std::mt19937_64 engine(20261121);
    EXPECT_EQ(engine(), 9508442378269202948ULL);
    forecast::NormalDraws draws(20261121, 1.0);
    EXPECT_NEAR(draws(), 0.03874635943845723, 1e-15);
    EXPECT_NEAR(draws(), 0.41915853053128233, 1e-15);
    EXPECT_NEAR(draws(), -1.8197847017381765, 1e-14);
    forecast::NormalDraws scaled(20261121, 2.5);
    EXPECT_NEAR(scaled(), 2.5 * 0.03874635943845723, 1e-15);
}
