// ARIMA(p,d,q)(P,D,Q)[m] with an optional mean (no differencing) or drift
// (one difference), as R's stats::arima and forecast::Arima fit them, and the
// automatic order selection of forecast::auto.arima (Hyndman & Khandakar
// 2008): a KPSS test for d, the seasonal strength of an STL decomposition for
// D, then a stepwise search over p, q, P, Q and the constant by AICc.
//
// Likelihood: the exact Gaussian likelihood of the differenced series by a
// Kalman filter over Harvey's state-space form of the ARMA part, started at
// its stationary covariance (R's diffuse prior for the differenced states
// gives the same likelihood); "CSS" is the conditional sum of squares, and
// "CSS-ML" (R's default) starts the exact fit from it. R's conventions for
// the log-likelihood, AIC, AICc and BIC.
#pragma once

#include <string>
#include <vector>

#include "prediction.hpp"

namespace pgcrm::arima {

struct Order {
    int p = 0, d = 0, q = 0;
    int P = 0, D = 0, Q = 0;
    int m = 1;              // season length; seasonal orders are 0 when 1
    bool constant = false;  // a mean when d + D = 0, a drift when d + D = 1; never otherwise
    int coefficients() const { return p + q + P + Q + constant; }
};
// "ARIMA(0,1,1)(0,1,1)[12]", with " with drift", " with non-zero mean" or
// " with zero mean" as R's arima.string.
std::string name(const Order& order);
// Parses "ARIMA(2,1,0)" and "arima(0,1,1)(0,1,1)" (the season length comes
// from elsewhere; a trailing " with drift" or " with mean" sets constant).
bool parse(const std::string& text, Order& order);

enum class Method { css_ml, ml, css };

struct Model {
    Order order;
    Method method = Method::css_ml;
    // ar 1..p, ma 1..q, sar 1..P, sma 1..Q, then the mean or drift.
    std::vector<double> coef;
    int nobs = 0;              // n − d − D·m
    double loglik = 0;         // R's, with the 2π terms; NaN for CSS
    double aic = 0, aicc = 0, bic = 0;
    double sigma2 = 0;         // Σ residuals² / (nobs − coefficients), forecast::Arima's
    double css_sigma2 = 0;     // the conditional sum of squares / its count (CSS fits)
    std::vector<double> residuals, fitted;  // standardised innovations; NaN before the first difference ends
    // The filtered ARMA state and its covariance (σ² units) after the last
    // observation: what forecasts start from.
    std::vector<double> state, state_cov;
};

// R's exact log-likelihood of y at the given coefficients (the layout of
// Model::coef); NaN when the AR part is not stationary.
double loglik(const std::vector<double>& y, const Order& order, const std::vector<double>& coef);

// Fits one model. Throws Error(insufficient_data) without at least
// d + D·m + coefficients + 1 values, and Error(invalid_parameter_value) when
// the conditional sum of squares leaves a non-stationary AR part (R refuses
// those too).
Model fit(const std::vector<double>& y, const Order& order, Method method = Method::css_ml);

// The model at given coefficients (R's likelihood), as fit would leave it.
Model evaluate(const std::vector<double>& y, const Order& order, const std::vector<double>& coef);

// Point forecasts and normal intervals with the Kalman filter's h-step
// variances, as R's predict.Arima with forecast::Arima's σ².
forecast::Prediction predict(const Model& model, const std::vector<double>& y, int horizon,
                             const std::vector<double>& levels);

// --- Automatic selection.
// KPSS level-stationarity statistic with R's ndiffs lag, trunc(3√n/13).
double kpss(const std::vector<double>& y);
// ndiffs: difference while KPSS exceeds its 5% critical value 0.463, at most twice.
int ndiffs(const std::vector<double>& y);
// nsdiffs with R's default test: one seasonal difference when the STL
// seasonal strength exceeds 0.64; 0 for series of 2m values or fewer.
int nsdiffs(const std::vector<double>& y, int m);

struct Search {
    Model best;
    int models = 0;  // fitted during the search
};
// auto.arima's defaults: stepwise from (2,d,2)(1,D,1), max p, q 5, P, Q 2,
// AICc; the approximation (CSS in the search, the best models refitted by
// CSS-ML) for more than 150 values or m > 12. `seasonal` false searches
// non-seasonal models only; `approximate` true searches with the
// approximation whatever the length (auto.arima(approximation = TRUE)), which
// is several times faster. Throws Error(insufficient_data) when no model
// could be fitted.
Search automatic(const std::vector<double>& y, int m, bool seasonal = true, bool approximate = false);

}  // namespace pgcrm::arima
