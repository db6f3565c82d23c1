#include "intermittent.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "timeseries.hpp"

namespace pgcrm::intermittent {

bool parse_method(const std::string& text, Method& method) {
    if (text == "croston") method = Method::croston;
    else if (text == "sba") method = Method::sba;
    else if (text == "tsb") method = Method::tsb;
    else return false;
    return true;
}

std::string name(Method method) {
    return method == Method::croston ? "Croston" : method == Method::sba ? "SBA" : "TSB";
}

Profile profile(const std::vector<double>& y) {
    Profile p;
    const int n = static_cast<int>(y.size());
    double sum = 0, sum2 = 0;
    int last = -1;
    for (int i = 0; i < n; ++i) {
        if (y[i] < 0)
            throw Error(sqlstate::invalid_parameter_value,
                        "intermittent demand methods need values >= 0; value " + std::to_string(i + 1) + " is " +
                            std::to_string(y[i]));
        if (y[i] > 0) {
            ++p.demands;
            sum += y[i];
            sum2 += y[i] * y[i];
            last = i;
        }
    }
    if (p.demands == 0) return p;
    p.adi = static_cast<double>(last + 1) / p.demands;
    const double mean = sum / p.demands;
    p.cv2 = p.demands > 1 ? (sum2 - p.demands * mean * mean) / (p.demands - 1) / (mean * mean) : 0.0;
    p.trailing_zeros = n - 1 - last;
    return p;
}

Method choose(const Profile& p) { return p.trailing_zeros > 2 * p.adi ? Method::tsb : Method::sba; }

Model fit(const std::vector<double>& y, Method method, double alpha, double beta) {
    const Profile pr = profile(y);
    if (pr.demands == 0)
        throw Error(sqlstate::insufficient_data, "intermittent demand methods need at least one value > 0",
                    "A series without demand forecasts zero: use method 'naive'.");
    const int n = static_cast<int>(y.size());
    Model model;
    model.method = method;
    model.alpha = alpha;
    model.beta = beta;
    model.fitted.assign(n, NAN);
    // Croston and SBA: size and interval levels, started at the first demand.
    double size = 0, interval = 0, probability = 0;
    int since = 0, seen = 0;
    if (method == Method::tsb) {
        probability = static_cast<double>(pr.demands) / n;
        size = 0;
        for (double v : y) size += v / pr.demands;
    }
    auto rate = [&] {
        if (method == Method::tsb) return probability * size;
        if (seen == 0) return 0.0;
        return (method == Method::sba ? 1 - alpha / 2 : 1.0) * size / interval;
    };
    for (int i = 0; i < n; ++i) {
        if (i > 0) model.fitted[i] = rate();
        ++since;
        if (method == Method::tsb) {
            probability += beta * ((y[i] > 0 ? 1.0 : 0.0) - probability);
            if (y[i] > 0) size += alpha * (y[i] - size);
        } else if (y[i] > 0) {
            if (seen == 0) {
                size = y[i];
                interval = since;
            } else {
                size += alpha * (y[i] - size);
                interval += alpha * (since - interval);
            }
            ++seen;
            since = 0;
        }
    }
    model.rate = rate();
    return model;
}

forecast::Prediction predict(const Model& model, const std::vector<double>& y, int horizon,
                             const std::vector<double>& levels) {
    forecast::Prediction p;
    p.point.assign(horizon, model.rate);
    std::vector<double> errors;
    const auto first = std::find_if(y.begin(), y.end(), [](double v) { return v > 0; }) - y.begin();
    for (size_t i = static_cast<size_t>(first) + 1; i < y.size(); ++i) errors.push_back(y[i] - model.fitted[i]);
    std::sort(errors.begin(), errors.end());
    for (double level : levels) {
        const double tail = (1 - level / 100) / 2;
        const double lo = errors.empty() ? NAN : std::max(0.0, model.rate + timeseries::quantile(errors, tail));
        const double hi = errors.empty() ? NAN : std::max(0.0, model.rate + timeseries::quantile(errors, 1 - tail));
        p.lower.emplace_back(horizon, lo);
        p.upper.emplace_back(horizon, hi);
    }
    return p;
}

}  // namespace pgcrm::intermittent
