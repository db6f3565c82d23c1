#include "theta.hpp"

#include <algorithm>
#include <cmath>

#include "timeseries.hpp"

namespace pgcrm::theta {

namespace {

// qnorm(0.95): the one-sided 90% level thetaf tests at.
constexpr double z90 = 1.6448536269514722;

// The series SES sees: y divided by its seasonal indices when the test says so.
Model prepare(const std::vector<double>& y, int m, bool seasonal) {
    Model model;
    model.n = static_cast<int>(y.size());
    model.m = m;
    const bool positive = std::all_of(y.begin(), y.end(), [](double v) { return v > 0; });
    if (positive && ((seasonal && m > 1 && model.n > 2 * m) || seasonality_test(y, m))) {
        const timeseries::Decomposition d = timeseries::decompose(y, m, true);
        // Indices near 0 would blow the deseasonalised series up (thetaf's rule).
        model.seasonal = std::none_of(d.figure.begin(), d.figure.end(), [](double s) { return std::fabs(s) < 1e-4; });
        if (model.seasonal) model.figure = d.figure;
    }
    return model;
}

std::vector<double> adjusted(const Model& model, const std::vector<double>& y) {
    std::vector<double> x = y;
    if (model.seasonal)
        for (int i = 0; i < model.n; ++i) x[i] /= model.figure[i % model.m];
    return x;
}

void finish(Model& model, const std::vector<double>& y, const std::vector<double>& x) {
    model.drift = timeseries::fit_line(x.data(), model.n).slope / 2;
    model.fitted = model.ses.fitted;
    model.residuals.resize(model.n);
    for (int i = 0; i < model.n; ++i) {
        if (model.seasonal) model.fitted[i] *= model.figure[i % model.m];
        model.residuals[i] = y[i] - model.fitted[i];
    }
}

}  // namespace

bool seasonality_test(const std::vector<double>& y, int m) {
    const int n = static_cast<int>(y.size());
    if (m < 2 || n <= 2 * m || std::all_of(y.begin(), y.end(), [&](double v) { return v == y[0]; })) return false;
    const std::vector<double> r = timeseries::acf(y, m);
    double sum = 0;
    for (int k = 1; k < m; ++k) sum += r[k - 1] * r[k - 1];
    return std::fabs(r[m - 1]) / std::sqrt((1 + 2 * sum) / n) > z90;
}

Model fit(const std::vector<double>& y, int m, bool seasonal) {
    Model model = prepare(y, m, seasonal);
    const std::vector<double> x = adjusted(model, y);
    model.ses = ets::fit(x, 1, ets::Spec{false, ets::Trend::none, ets::Season::none});
    finish(model, y, x);
    return model;
}

Model evaluate(const std::vector<double>& y, int m, double alpha, double level0) {
    Model model = prepare(y, m, false);
    const std::vector<double> x = adjusted(model, y);
    ets::Params p;
    p.alpha = alpha;
    model.ses = ets::evaluate(x, 1, ets::Spec{false, ets::Trend::none, ets::Season::none}, p, {level0, 0, {}});
    finish(model, y, x);
    return model;
}

forecast::Prediction predict(const Model& model, int horizon, const std::vector<double>& levels) {
    const double alpha = std::max(1e-10, model.ses.params.alpha);
    const double level = model.ses.last.level;
    // SES with drift b: the h-step forecast adds b·(h − 1 + (1 − (1 − α)^n)/α).
    const double lead = (1 - std::pow(1 - alpha, model.n)) / alpha;
    forecast::Prediction p;
    p.point.resize(horizon);
    std::vector<double> se(horizon);
    for (int h = 1; h <= horizon; ++h) {
        double f = level + model.drift * (h - 1 + lead);
        if (model.seasonal) f *= model.figure[(model.n + h - 1) % model.m];
        p.point[h - 1] = f;
        se[h - 1] = std::sqrt(model.ses.sigma2 * (1 + (h - 1) * alpha * alpha));
    }
    forecast::normal_bands(p, levels, se);
    return p;
}

}  // namespace pgcrm::theta
