// Normal draws that are the same with every C++ standard library: the
// Mersenne Twister's output is fixed by the standard (std::mt19937_64), but
// std::normal_distribution's algorithm is not, so each draw is the normal
// quantile (Boost.Math) of a uniform made from the engine's top 53 bits.
#pragma once

#include <cstdint>
#include <random>

namespace pgcrm::forecast {

class NormalDraws {
public:
    NormalDraws(uint64_t seed, double sd) : engine_(seed), sd_(sd) {}
    // u = (⌊x / 2¹¹⌋ + ½) / 2⁵³ lies strictly inside (0, 1).
    double uniform() { return (static_cast<double>(engine_() >> 11) + 0.5) * 0x1p-53; }
    double operator()();

private:
    std::mt19937_64 engine_;
    double sd_;
};

}  // namespace pgcrm::forecast
