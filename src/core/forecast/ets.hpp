// Exponential smoothing state-space models, ETS(error, trend, season) as in
// Hyndman, Koehler, Ord & Snyder (2008) and R's forecast::ets: error A or M,
// trend N, A or Ad (damped), season N, A or M. Simple exponential smoothing
// is ETS(A,N,N), Holt ETS(A,A,N), Holt–Winters ETS(A,A,A) and ETS(M,A,M).
//
// Parameters are R's: the state updates, written in terms of y, are the same
// for both error types (the error type changes only the likelihood), with
// 1e-4 ≤ β ≤ α ≤ 0.9999, 1e-4 ≤ γ ≤ 1 − α, 0.8 ≤ φ ≤ 0.98 and, for seasonal
// models, the admissibility (forecastability) condition.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pgcrm::ets {

enum class Trend { none, additive, damped };
enum class Season { none, additive, multiplicative };

struct Spec {
    bool multiplicative_error = false;
    Trend trend = Trend::none;
    Season season = Season::none;

    std::string name() const;  // "ETS(M,Ad,M)"
    // Smoothing parameters plus initial states that are estimated: R's count.
    int parameter_count(int m) const;
    // R's rule: a model is fitted only to more than parameter_count + 4 points.
    int min_points(int m) const { return parameter_count(m) + 5; }
};

// Parses "MAdM", "ETS(M,Ad,M)" and the like; false when it is not one.
bool parse_spec(const std::string& text, Spec& spec);

struct Params {
    double alpha = 0, beta = 0, gamma = 0, phi = 1;
};

// Initial states: level, trend and m seasonal values, the one for the first
// observation first (the ordering of statsmodels' initial_seasonal).
struct States {
    double level = 0, trend = 0;
    std::vector<double> season;
};

struct Model {
    Spec spec;
    int m = 1;  // season length, 1 when non-seasonal
    Params params;
    States initial;
    States last;  // after the final observation, season indexed by position mod m
    int n = 0;
    // R's conventions: loglik = −½ (n log Σe² + [M error] 2 Σ log|ŷ|), the
    // criteria count the free parameters plus σ.
    double loglik = 0, aic = 0, aicc = 0, bic = 0;
    double sigma2 = 0;  // Σe² / (n − free parameters), as R; e relative for M error
    std::vector<double> fitted, residuals;
};

// The model with the given parameters and initial states, without estimation.
Model evaluate(const std::vector<double>& y, int m, const Spec& spec, const Params& params, const States& initial);

// Maximum likelihood estimate of parameters and initial states (Levenberg–
// Marquardt on the equivalent sum of squares, from R's starting values and,
// for seasonal models, one more). Screening stops earlier, to rank models.
// Throws Error(insufficient_data) below spec.min_points(m) points and
// Error(invalid_parameter_value) for a multiplicative model on data ≤ 0.
enum class Effort { screening, thorough };
Model fit(const std::vector<double>& y, int m, const Spec& spec, Effort effort = Effort::thorough);

// Continues the estimation of a screened model to full precision.
Model refine(const std::vector<double>& y, const Model& model);

// Point forecasts for 1..horizon steps ahead.
std::vector<double> point_forecast(const Model& model, int horizon);

// Prediction intervals: lower[l][h], upper[l][h] for each level (in %, 0 < l
// < 100). Analytic for the linear models (additive error, and multiplicative
// error without multiplicative season: Hyndman et al. 2008, classes 1 and 2);
// otherwise quantiles of `paths` simulated futures drawn with `seed`.
struct Intervals {
    std::vector<std::vector<double>> lower, upper;
};
Intervals intervals(const Model& model, int horizon, const std::vector<double>& levels, uint64_t seed = 20261121,
                    int paths = 5000);

// True when a seasonal model's parameters give a forecastable model (the
// characteristic polynomial of its discount matrix has roots inside the unit
// circle); always true for non-seasonal models within the usual bounds.
bool admissible(const Params& params, const Spec& spec, int m);

}  // namespace pgcrm::ets
