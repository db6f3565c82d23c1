// What every forecasting method hands back: point forecasts and the bounds
// of each interval level, lower[level][step] and upper[level][step].
#pragma once

#include <vector>

namespace pgcrm::forecast {

struct Prediction {
    std::vector<double> point;
    std::vector<std::vector<double>> lower, upper;
};

// The standard normal quantile of the upper bound of a central interval of
// `level` percent (1.2816 for 80, 1.96 for 95).
double z_value(double level);

// Bounds point ± z·se[h] for every level.
void normal_bands(Prediction& p, const std::vector<double>& levels, const std::vector<double>& se);

}  // namespace pgcrm::forecast
