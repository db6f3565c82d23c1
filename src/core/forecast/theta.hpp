// The Theta method of Assimakopoulos & Nikolopoulos (2000) as the M3
// competition ran it and as R's forecast::thetaf computes it (Hyndman &
// Billah 2003 showed it is simple exponential smoothing with drift): when the
// lag-m autocorrelation is significant at the 90% level, the series is
// deseasonalised by classical multiplicative decomposition; SES is fitted to
// the (deseasonalised) series, the forecast gets a drift of half the slope of
// the linear trend, and the seasonal indices are put back.
#pragma once

#include <vector>

#include "ets.hpp"
#include "prediction.hpp"

namespace pgcrm::theta {

struct Model {
    int n = 0, m = 1;
    bool seasonal = false;       // deseasonalised before smoothing
    std::vector<double> figure;  // multiplicative indices by position mod m, when seasonal
    ets::Model ses;              // ETS(A,N,N) of the (deseasonalised) series
    double drift = 0;            // half the slope of the least-squares line
    std::vector<double> fitted, residuals;
};

// R's test: m > 1, a non-constant series longer than 2m, and
// |r_m| > 1.645 · √((1 + 2 Σ_{k<m} r_k²) / n).
bool seasonality_test(const std::vector<double>& y, int m);

// Fits the method; SES by maximum likelihood (R's ses, optimal initial level).
// A series with values ≤ 0 is not deseasonalised (a multiplicative
// decomposition needs positive values). `seasonal` true deseasonalises a
// positive series of more than 2m values whatever the autocorrelation test says.
Model fit(const std::vector<double>& y, int m, bool seasonal = false);

// The method with SES's α and initial level given, as R reports them.
Model evaluate(const std::vector<double>& y, int m, double alpha, double level0);

// Point forecasts and normal intervals with se_h = σ √(1 + (h−1)α²), as thetaf.
forecast::Prediction predict(const Model& model, int horizon, const std::vector<double>& levels);

}  // namespace pgcrm::theta
