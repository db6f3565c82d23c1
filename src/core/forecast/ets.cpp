#include "ets.hpp"

#include "core/eigen.hpp"  // first: Eigen's assertions must throw

#include <unsupported/Eigen/NonLinearOptimization>
#include <unsupported/Eigen/NumericalDiff>
#include <unsupported/Eigen/Polynomials>

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <cmath>

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "random.hpp"
#include "timeseries.hpp"

namespace pgcrm::ets {

namespace {

// R's bounds for the smoothing parameters (forecast::ets defaults).
constexpr double lower = 1e-4, upper = 0.9999, phi_lower = 0.8, phi_upper = 0.98;
// A one-step forecast or seasonal index this close to 0 makes a
// multiplicative model undefined (R's etscalc uses the same tolerance).
constexpr double tiny = 1e-10;

bool seasonal(const Spec& s) { return s.season != Season::none; }
bool trended(const Spec& s) { return s.trend != Trend::none; }

// Runs the model over y from `st` (left holding the last state); y[0] is
// period `offset`, which picks its seasonal state. Writes the errors
// (relative for M error) and fitted values when asked; false when a
// multiplicative model meets a zero divisor or the numbers overflow.
template <bool MultError, Trend T, Season S>
bool filter_as(const double* y, int n, int m, const Params& p, States& st, double* errors, double* fitted,
               double& sse, double& sum_log, int offset) {
    const double phi = T == Trend::damped ? p.phi : 1.0;
    double l = st.level, b = T != Trend::none ? st.trend : 0.0;
    double* s = st.season.data();
    int position = S != Season::none ? offset % m : 0;
    // Σ log|ŷ| as the log of a running product, taken only when the product
    // leaves a safe range: a handful of logs per series, not one per value.
    double product = 1;
    sum_log = 0;
    sse = 0;
    for (int i = 0; i < n; ++i) {
        const double phib = T != Trend::none ? phi * b : 0.0;
        const double q = l + phib;
        double s_old = 0, yhat = q, deseasoned = y[i];
        if constexpr (S == Season::additive) {
            s_old = s[position];
            yhat = q + s_old;
            deseasoned = y[i] - s_old;
        } else if constexpr (S == Season::multiplicative) {
            s_old = s[position];
            if (std::fabs(s_old) < tiny || std::fabs(q) < tiny) return false;
            yhat = q * s_old;
            deseasoned = y[i] / s_old;
        }
        double e = y[i] - yhat;
        if constexpr (MultError) {
            if (std::fabs(yhat) < tiny) return false;
            e /= yhat;
            product *= std::fabs(yhat);
            if (product > 1e150 || product < 1e-150) {
                sum_log += std::log(product);
                product = 1;
            }
        }
        if (errors) errors[i] = e;
        if (fitted) fitted[i] = yhat;
        sse += e * e;
        l = q + p.alpha * (deseasoned - q);
        if constexpr (T != Trend::none) b = phib + p.beta * (deseasoned - q);
        if constexpr (S == Season::additive) s[position] = s_old + p.gamma * (y[i] - q - s_old);
        if constexpr (S == Season::multiplicative) s[position] = s_old + p.gamma * (y[i] / q - s_old);
        if constexpr (S != Season::none)
            if (++position == m) position = 0;
    }
    st.level = l;
    st.trend = b;
    if constexpr (MultError) sum_log += std::log(product);
    return std::isfinite(sse) && std::isfinite(sum_log);
}

template <bool MultError, Trend T>
auto filter_for(Season season) {
    switch (season) {
        case Season::additive: return &filter_as<MultError, T, Season::additive>;
        case Season::multiplicative: return &filter_as<MultError, T, Season::multiplicative>;
        default: return &filter_as<MultError, T, Season::none>;
    }
}

template <bool MultError>
auto filter_for(Trend trend, Season season) {
    switch (trend) {
        case Trend::additive: return filter_for<MultError, Trend::additive>(season);
        case Trend::damped: return filter_for<MultError, Trend::damped>(season);
        default: return filter_for<MultError, Trend::none>(season);
    }
}

// Runs the model over y from `st` (left holding the last state); y[0] is
// period `offset`, which picks its seasonal state. Writes the errors
// (relative for M error) and fitted values when asked; false when a
// multiplicative model meets a zero divisor or the numbers overflow.
bool filter(const double* y, int n, int m, const Spec& spec, const Params& p, States& st, double* errors,
            double* fitted, double& sse, double& sum_log, int offset = 0) {
    const auto run = spec.multiplicative_error ? filter_for<true>(spec.trend, spec.season)
                                               : filter_for<false>(spec.trend, spec.season);
    return run(y, n, m, p, st, errors, fitted, sse, sum_log, offset);
}

double logistic(double u) { return 1 / (1 + std::exp(-u)); }

double logit(double fraction) {
    fraction = std::clamp(fraction, 1e-6, 1 - 1e-6);
    return std::log(fraction / (1 - fraction));
}

// The optimiser's unbounded vector: transformed smoothing parameters (each
// mapped into its bounds, β below α and γ below 1 − α), the initial level and
// trend, and the seasonal states of positions 1..m−1; position 0 makes the
// seasonal states sum to 0 (additive) or m (multiplicative), as in R.
struct Layout {
    Spec spec;
    int m;
    int size() const { return spec.parameter_count(m); }

    Params params(const Eigen::VectorXd& x) const {
        Params p;
        int k = 0;
        p.alpha = lower + (upper - lower) * logistic(x[k++]);
        if (trended(spec)) p.beta = lower + (p.alpha - lower) * logistic(x[k++]);
        if (seasonal(spec)) p.gamma = lower + (1 - p.alpha - lower) * logistic(x[k++]);
        if (spec.trend == Trend::damped) p.phi = phi_lower + (phi_upper - phi_lower) * logistic(x[k++]);
        return p;
    }

    void states(const Eigen::VectorXd& x, States& st) const {
        int k = 1 + trended(spec) + seasonal(spec) + (spec.trend == Trend::damped);
        st.level = x[k++];
        st.trend = trended(spec) ? x[k++] : 0.0;
        if (!seasonal(spec)) return;
        st.season.resize(m);
        double sum = 0;
        for (int j = 1; j < m; ++j) sum += st.season[j] = x[k++];
        st.season[0] = (spec.season == Season::multiplicative ? m : 0) - sum;
    }

    Eigen::VectorXd pack(const Params& p, const States& st) const {
        Eigen::VectorXd x(size());
        int k = 0;
        x[k++] = logit((p.alpha - lower) / (upper - lower));
        if (trended(spec)) x[k++] = logit((p.beta - lower) / (p.alpha - lower));
        if (seasonal(spec)) x[k++] = logit((p.gamma - lower) / (1 - p.alpha - lower));
        if (spec.trend == Trend::damped) x[k++] = logit((p.phi - phi_lower) / (phi_upper - phi_lower));
        x[k++] = st.level;
        if (trended(spec)) x[k++] = st.trend;
        for (int j = 1; seasonal(spec) && j < m; ++j) x[k++] = st.season[j];
        return x;
    }
};

// The likelihood as a sum of squares, so that Levenberg–Marquardt applies:
// n log Σe² + 2 Σ log|ŷ| = n log Σ(e·G)² with G the geometric mean of |ŷ|.
struct Objective {
    using Scalar = double;
    using InputType = Eigen::VectorXd;
    using ValueType = Eigen::VectorXd;
    using JacobianType = Eigen::MatrixXd;
    enum { InputsAtCompileTime = Eigen::Dynamic, ValuesAtCompileTime = Eigen::Dynamic };

    const std::vector<double>* y;
    Layout layout;
    bool enforce_admissible;
    mutable States work;

    int inputs() const { return layout.size(); }
    int values() const { return static_cast<int>(y->size()); }

    int operator()(const Eigen::VectorXd& x, Eigen::VectorXd& r) const {
        check_interrupts();
        const Params p = layout.params(x);
        layout.states(x, work);
        double sse, sum_log;
        const int n = values();
        const bool ok = (!enforce_admissible || admissible(p, layout.spec, layout.m)) &&
                        filter(y->data(), n, layout.m, layout.spec, p, work, r.data(), nullptr, sse, sum_log);
        if (!ok) {
            r.setConstant(1e20);  // a wall above any real residual: the step is rejected
            return 0;
        }
        if (layout.spec.multiplicative_error) r *= std::exp(sum_log / n);
        return 0;
    }
};

// R's starting values (forecast:::initstate and initparam).
States initial_states(const std::vector<double>& y, int m, const Spec& spec) {
    const int n = static_cast<int>(y.size());
    States st;
    std::vector<double> adjusted = y;
    if (seasonal(spec)) {
        const bool mult = spec.season == Season::multiplicative;
        std::vector<double> index(n);  // seasonal component of each point
        if (n < 3 * m) {
            // Too short to decompose: detrend with a line plus one Fourier pair.
            Eigen::MatrixXd X(n, m > 2 ? 4 : 3);
            Eigen::VectorXd v(n);
            for (int i = 0; i < n; ++i) {
                const double t = i + 1, angle = 2 * M_PI * t / m;
                X(i, 0) = 1;
                X(i, 1) = t;
                X(i, 2) = std::cos(angle);
                if (m > 2) X(i, 3) = std::sin(angle);
                v[i] = y[i];
            }
            const Eigen::VectorXd c = X.colPivHouseholderQr().solve(v);
            for (int i = 0; i < n; ++i) {
                const double line = c[0] + c[1] * (i + 1);
                index[i] = mult ? y[i] / line : y[i] - line;
            }
        } else {
            index = timeseries::decompose(y, m, mult).seasonal;
        }
        st.season.assign(index.begin(), index.begin() + m);
        if (mult) {
            double sum = 0;
            for (int j = 1; j < m; ++j) sum += st.season[j] = std::max(st.season[j], 0.01);
            if (sum > m)
                for (int j = 1; j < m; ++j) st.season[j] /= sum + 0.01 * (m - 1);
        }
        for (int i = 0; i < n; ++i) adjusted[i] = mult ? y[i] / std::max(index[i], 0.01) : y[i] - index[i];
    }
    const int head = std::min(std::max(10, 2 * m), n);
    if (trended(spec)) {
        const timeseries::Line line = timeseries::fit_line(adjusted.data(), head);
        st.level = line.intercept;
        st.trend = line.slope;
        if (std::fabs(st.level + st.trend) < 1e-8) {
            st.level *= 1.001;
            st.trend *= 0.999;
        }
    } else {
        double sum = 0;
        for (int i = 0; i < head; ++i) sum += adjusted[i];
        st.level = sum / head;
    }
    return st;
}

Params initial_params(const Spec& spec, int m) {
    Params p;
    p.alpha = lower + 0.2 * (upper - lower) / m;
    if (trended(spec)) p.beta = lower + 0.1 * (p.alpha - lower);
    if (seasonal(spec)) p.gamma = lower + 0.05 * (1 - p.alpha - lower);
    if (spec.trend == Trend::damped) p.phi = phi_lower + 0.99 * (phi_upper - phi_lower);
    return p;
}

Eigen::VectorXd optimise(const std::vector<double>& y, const Layout& layout, const Eigen::VectorXd& start,
                         bool enforce_admissible, Effort effort) {
    Objective objective{&y, layout, enforce_admissible, {}};
    Eigen::NumericalDiff<Objective> numeric(objective);
    Eigen::LevenbergMarquardt<Eigen::NumericalDiff<Objective>> lm(numeric);
    if (effort == Effort::screening) {
        // Enough to rank models: the likelihood to ~1e-6 relative.
        lm.parameters.ftol = 1e-6;
        lm.parameters.xtol = 1e-4;
        lm.parameters.maxfev = 30 * (layout.size() + 1);
    } else {
        lm.parameters.maxfev = 200 * (layout.size() + 1);
    }
    Eigen::VectorXd x = start;
    lm.minimize(x);
    return x.allFinite() ? x : start;
}

// The model at optimiser point x; false where the model is undefined there.
bool evaluated(const std::vector<double>& y, const Layout& layout, const Eigen::VectorXd& x, Model& model) {
    States st;
    layout.states(x, st);
    Params p = layout.params(x);
    States probe = st;
    double sse, sum_log;
    if (!filter(y.data(), static_cast<int>(y.size()), layout.m, layout.spec, p, probe, nullptr, nullptr, sse, sum_log))
        return false;
    model = evaluate(y, layout.m, layout.spec, p, st);
    return std::isfinite(model.loglik);
}

void require_fit(const std::vector<double>& y, int m, const Spec& spec) {
    const int n = static_cast<int>(y.size());
    if (seasonal(spec) && m < 2)
        throw Error(sqlstate::invalid_parameter_value,
                    spec.name() + " is seasonal and needs a season length of at least 2; it is " + std::to_string(m));
    if (seasonal(spec) && m > 24)
        throw Error(sqlstate::invalid_parameter_value,
                    "seasonal ETS models support season lengths up to 24; it is " + std::to_string(m),
                    "Aggregate to a coarser period (weeks to months), or use a non-seasonal method.");
    if (!spec.multiplicative_error && spec.season == Season::multiplicative)
        throw Error(sqlstate::invalid_parameter_value,
                    spec.name() + " has an infinite forecast variance and is not supported",
                    "Use the multiplicative-error form, ETS(M," +
                        std::string(spec.trend == Trend::none ? "N" : spec.trend == Trend::additive ? "A" : "Ad") +
                        ",M).");
    if (n < spec.min_points(m))
        throw Error(sqlstate::insufficient_data,
                    spec.name() + (seasonal(spec) ? " with season length " + std::to_string(m) : std::string()) +
                        " needs at least " + std::to_string(spec.min_points(m)) + " values; the series has " +
                        std::to_string(n),
                    "Use method 'auto', which falls back to the models the data can support.");
    if (spec.multiplicative_error || spec.season == Season::multiplicative)
        for (int i = 0; i < n; ++i)
            if (!(y[i] > 0))
                throw Error(sqlstate::invalid_parameter_value,
                            spec.name() + " needs positive values; value " + std::to_string(i + 1) + " is " +
                                std::to_string(y[i]),
                            "Use an additive model such as ETS(A,A,A).");
}

// c_j = w′F^{j−1}g of the linear state-space form: how a shock j steps back
// reaches today's forecast.
double impulse(const Model& model, int j) {
    const Params& p = model.params;
    double c = p.alpha;
    if (model.spec.trend == Trend::additive) c += p.beta * j;
    if (model.spec.trend == Trend::damped) {
        double phi_sum = 0, power = 1;
        for (int i = 1; i <= j; ++i) phi_sum += power *= p.phi;
        c += p.beta * phi_sum;
    }
    if (seasonal(model.spec) && j % model.m == 0) c += p.gamma;
    return c;
}

// The forecast of period `period` from state st, one step ahead.
double one_step(const Model& model, const States& st, int period) {
    const double q = st.level + (model.spec.trend == Trend::none ? 0.0 : model.params.phi * st.trend);
    switch (model.spec.season) {
        case Season::additive: return q + st.season[period % model.m];
        case Season::multiplicative: return q * st.season[period % model.m];
        default: return q;
    }
}

}  // namespace

std::string Spec::name() const {
    std::string s = "ETS(";
    s += multiplicative_error ? "M," : "A,";
    s += trend == Trend::none ? "N," : trend == Trend::additive ? "A," : "Ad,";
    s += season == Season::none ? "N)" : season == Season::additive ? "A)" : "M)";
    return s;
}

int Spec::parameter_count(int m) const {
    return 2 + (trend != Trend::none ? 2 : 0) + (trend == Trend::damped) + (season != Season::none ? m : 0);
}

bool parse_spec(const std::string& text, Spec& spec) {
    std::string code;
    std::string body = text;
    if (body.size() > 5 && (body.compare(0, 4, "ETS(") == 0 || body.compare(0, 4, "ets(") == 0) && body.back() == ')')
        body = body.substr(4, body.size() - 5);
    for (char c : body)
        if (c != ',' && c != ' ') code += c;
    if (code.size() < 3 || code.size() > 4) return false;
    Spec s;
    if (code[0] == 'A' || code[0] == 'M') s.multiplicative_error = code[0] == 'M';
    else return false;
    size_t k = 2;
    if (code[1] == 'N') s.trend = Trend::none;
    else if (code[1] == 'A' && (code[2] == 'd' || code[2] == 'D') && code.size() == 4) {
        s.trend = Trend::damped;
        k = 3;
    } else if (code[1] == 'A') s.trend = Trend::additive;
    else return false;
    if (code.size() != k + 1) return false;
    if (code[k] == 'N') s.season = Season::none;
    else if (code[k] == 'A') s.season = Season::additive;
    else if (code[k] == 'M') s.season = Season::multiplicative;
    else return false;
    spec = s;
    return true;
}

bool admissible(const Params& p, const Spec& spec, int m) {
    if (!seasonal(spec) || m < 2) return true;
    const double phi = spec.trend == Trend::damped ? p.phi : 1.0;
    const double alpha = p.alpha, beta = trended(spec) ? p.beta : 0.0, gamma = p.gamma;
    if (!std::isfinite(alpha + beta + gamma + phi)) return false;
    // Hyndman et al. (2008), ch. 10: the linear conditions, then the roots.
    if (gamma < std::max(1 - 1 / phi - alpha, 0.0) || gamma > 1 + 1 / phi - alpha) return false;
    if (alpha < 1 - 1 / phi - gamma * (1 - m + phi + phi * m) / (2 * phi * m)) return false;
    if (beta < -(1 - phi) * (gamma / m + alpha)) return false;
    Eigen::VectorXd poly(m + 2);  // increasing powers
    poly[0] = phi * (1 - alpha - gamma);
    poly[1] = alpha + beta - alpha * phi + gamma - 1;
    for (int j = 2; j < m; ++j) poly[j] = alpha + beta - alpha * phi;
    poly[m] = alpha + beta - phi;
    poly[m + 1] = 1;
    Eigen::PolynomialSolver<double, Eigen::Dynamic> solver(poly);
    const auto& roots = solver.roots();
    // No roots means the eigenvalue solver did not converge: not provably admissible.
    return roots.size() > 0 && roots.cwiseAbs().maxCoeff() <= 1 + 1e-10;
}

Model evaluate(const std::vector<double>& y, int m, const Spec& spec, const Params& params, const States& initial) {
    Model model;
    model.spec = spec;
    model.m = seasonal(spec) ? m : 1;
    model.params = params;
    if (!trended(spec)) model.params.beta = 0;
    if (!seasonal(spec)) model.params.gamma = 0;
    if (spec.trend != Trend::damped) model.params.phi = 1;
    model.initial = initial;
    if (seasonal(spec) && static_cast<int>(initial.season.size()) != m)
        throw Error(sqlstate::invalid_parameter_value, "the initial seasonal states must number " + std::to_string(m));
    model.last = initial;
    model.n = static_cast<int>(y.size());
    model.residuals.resize(model.n);
    model.fitted.resize(model.n);
    double sse, sum_log;
    if (!filter(y.data(), model.n, model.m, spec, model.params, model.last, model.residuals.data(),
                model.fitted.data(), sse, sum_log))
        throw Error(sqlstate::invalid_parameter_value,
                    spec.name() + " is undefined for this series: a one-step forecast or seasonal index reaches 0");
    const int n = model.n, np = spec.parameter_count(model.m);
    const double lik = n * std::log(sse) + (spec.multiplicative_error ? 2 * sum_log : 0.0);
    model.loglik = -0.5 * lik;
    model.aic = lik + 2.0 * (np + 1);
    model.aicc = n - np - 2 > 0 ? model.aic + 2.0 * (np + 1) * (np + 2) / (n - np - 2) : INFINITY;
    model.bic = lik + std::log(static_cast<double>(n)) * (np + 1);
    model.sigma2 = n > np ? sse / (n - np) : NAN;
    return model;
}

Model fit(const std::vector<double>& y, int m, const Spec& spec, Effort effort) {
    require_fit(y, m, spec);
    const Layout layout{spec, seasonal(spec) ? m : 1};
    const States states = initial_states(y, layout.m, spec);
    std::vector<Params> starts{initial_params(spec, layout.m)};
    if (seasonal(spec)) {
        // Seasonal likelihoods often have a second basin with a fast-moving
        // level and slow seasons; R's start (slow everything) misses it.
        Params fast = starts[0];
        fast.alpha = 0.5;
        fast.beta = std::min(fast.beta, 0.05);
        fast.gamma = std::min(fast.gamma, 0.05);
        starts.push_back(fast);
    }
    Model best;
    bool found = false;
    for (const Params& p : starts) {
        const Eigen::VectorXd start = layout.pack(p, states);
        Eigen::VectorXd x = optimise(y, layout, start, false, effort);
        if (!admissible(layout.params(x), spec, layout.m)) {
            x = optimise(y, layout, start, true, effort);
            if (!admissible(layout.params(x), spec, layout.m)) continue;
        }
        Model model;
        if (!evaluated(y, layout, x, model)) continue;
        if (!found || model.loglik > best.loglik) best = std::move(model);
        found = true;
    }
    if (!found)
        throw Error(sqlstate::insufficient_data, spec.name() + " found no forecastable parameters for this series",
                    "Use method 'auto' or a non-seasonal model.");
    return best;
}

Model refine(const std::vector<double>& y, const Model& model) {
    const Layout layout{model.spec, model.m};
    const Eigen::VectorXd x = optimise(y, layout, layout.pack(model.params, model.initial),
                                       seasonal(model.spec), Effort::thorough);
    Model refined;
    return evaluated(y, layout, x, refined) && refined.loglik > model.loglik ? refined : model;
}

std::vector<double> point_forecast(const Model& model, int horizon) {
    std::vector<double> f(horizon);
    const States& st = model.last;
    const double phi = model.params.phi;
    double phi_sum = 0, power = 1;
    for (int h = 1; h <= horizon; ++h) {
        if (model.spec.trend == Trend::damped) phi_sum += power *= phi;
        else if (model.spec.trend == Trend::additive) phi_sum = h;
        const double trend_part = st.level + phi_sum * st.trend;
        const int position = (model.n + h - 1) % model.m;
        switch (model.spec.season) {
            case Season::none: f[h - 1] = trend_part; break;
            case Season::additive: f[h - 1] = trend_part + st.season[position]; break;
            case Season::multiplicative: f[h - 1] = trend_part * st.season[position]; break;
        }
    }
    return f;
}

Intervals intervals(const Model& model, int horizon, const std::vector<double>& levels, uint64_t seed, int paths) {
    Intervals out;
    const std::vector<double> mu = point_forecast(model, horizon);
    const double sigma2 = model.sigma2;
    std::vector<double> variance(horizon);
    std::vector<std::vector<double>> simulated;  // [h][path]
    if (model.spec.season != Season::multiplicative) {
        std::vector<double> c2(horizon);
        for (int j = 1; j < horizon; ++j) c2[j] = impulse(model, j) * impulse(model, j);
        if (!model.spec.multiplicative_error) {  // class 1
            double sum = 0;
            for (int h = 1; h <= horizon; ++h) {
                if (h > 1) sum += c2[h - 1];
                variance[h - 1] = sigma2 * (1 + sum);
            }
        } else {  // class 2
            std::vector<double> theta(horizon);
            for (int h = 1; h <= horizon; ++h) {
                double t = mu[h - 1] * mu[h - 1];
                for (int j = 1; j < h; ++j) t += sigma2 * c2[j] * theta[h - 1 - j];
                theta[h - 1] = t;
                variance[h - 1] = (1 + sigma2) * t - mu[h - 1] * mu[h - 1];
            }
        }
    } else {
        simulated.assign(horizon, std::vector<double>(paths));
        forecast::NormalDraws noise(seed, std::sqrt(sigma2));
        for (int path = 0; path < paths; ++path) {
            if (path % 256 == 0) check_interrupts();
            States st = model.last;
            for (int h = 0; h < horizon; ++h) {
                const double yhat = one_step(model, st, model.n + h);
                const double e = noise();
                const double value = model.spec.multiplicative_error ? yhat * (1 + e) : yhat + e;
                double sse, sum_log;
                filter(&value, 1, model.m, model.spec, model.params, st, nullptr, nullptr, sse, sum_log, model.n + h);
                simulated[h][path] = value;
            }
        }
        for (auto& v : simulated) std::sort(v.begin(), v.end());
    }
    for (double level : levels) {
        const double tail = (1 - level / 100) / 2;
        const double z = boost::math::quantile(boost::math::normal(), 1 - tail);
        std::vector<double> lo(horizon), hi(horizon);
        for (int h = 0; h < horizon; ++h) {
            if (simulated.empty()) {
                const double half = z * std::sqrt(std::max(variance[h], 0.0));
                lo[h] = mu[h] - half;
                hi[h] = mu[h] + half;
            } else {
                lo[h] = timeseries::quantile(simulated[h], tail);
                hi[h] = timeseries::quantile(simulated[h], 1 - tail);
            }
        }
        out.lower.push_back(std::move(lo));
        out.upper.push_back(std::move(hi));
    }
    return out;
}

}  // namespace pgcrm::ets
