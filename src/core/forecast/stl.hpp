// STL, the seasonal-trend decomposition by loess of Cleveland, Cleveland,
// McRae & Terpenning (1990), as R's stats::stl (the netlib Fortran it runs),
// and MSTL for several seasons (Bandara, Hyndman & Bergmeir 2021), as R's
// forecast::mstl: each season in turn, shortest first, taken out of the
// series by STL and put back before the next pass.
#pragma once

#include <vector>

namespace pgcrm::stl {

struct Options {
    int season_window = 0;  // odd, >= 3; 0: "periodic" (R's s.window = "periodic")
    int season_degree = 0;
    int trend_window = 0;   // 0: R's default, nextodd(ceiling(1.5 m / (1 − 1.5 / season_window)))
    int trend_degree = 1;
    int lowpass_window = 0;  // 0: nextodd(m)
    int inner = 2, outer = 0;  // R's defaults without robustness (robust: 1 and 15)
};

struct Decomposition {
    std::vector<double> trend, seasonal, remainder;
};

// Needs m >= 2 and more than 2m values; throws Error otherwise.
Decomposition decompose(const std::vector<double>& y, int m, const Options& options);

struct Multiple {
    std::vector<int> periods;                    // the seasons kept, ascending
    std::vector<std::vector<double>> seasonal;   // one per period
    std::vector<double> trend, remainder;
};

// forecast::mstl's defaults: season windows 11, 15, 19, … by period, two
// passes when there are several seasons. Seasons of n/2 or more are dropped.
Multiple mstl(const std::vector<double>& y, std::vector<int> periods);

// max(0, 1 − var(remainder) / var(remainder + seasonal)) of R's mstl for
// one season (forecast:::seas.heuristic, what nsdiffs tests against 0.64).
double seasonal_strength(const std::vector<double>& y, int m);

}  // namespace pgcrm::stl
