// Intermittent demand: series with many zero periods, where smoothing the
// zero-filled series is the wrong model.
//  * Croston (1972): demand sizes and the intervals between demands are each
//    smoothed (simple exponential smoothing started at the first value, as R's
//    forecast::croston), updated only in periods with demand; the forecast is
//    their ratio, a rate per period.
//  * SBA, Syntetos & Boylan (2005): Croston times 1 − α/2, which removes its
//    bias.
//  * TSB, Teunter, Syntetos & Babai (2011): the probability of demand is
//    smoothed every period (towards 1 with demand, towards 0 without), the
//    size only with demand; the forecast is their product, so it decays
//    while demand stays away (obsolescence).
// The classification by ADI (the mean interval between demands) and CV² (the
// squared coefficient of variation of the demand sizes) is Syntetos, Boylan &
// Croston (2005): ADI > 1.32 is intermittent (CV² ≤ 0.49) or lumpy.
#pragma once

#include <string>
#include <vector>

#include "prediction.hpp"

namespace pgcrm::intermittent {

enum class Method { croston, sba, tsb };
bool parse_method(const std::string& text, Method& method);  // "croston", "sba", "tsb"
std::string name(Method method);                             // "Croston", "SBA", "TSB"

// The smoothing constants: R's croston default for α, and the same for TSB's β.
inline constexpr double default_alpha = 0.1, default_beta = 0.1;

struct Profile {
    int demands = 0;              // periods with a value > 0
    double adi = 0;               // mean interval between demands (the first from the start)
    double cv2 = 0;               // sample variance / mean² of the demand sizes; 0 for one demand
    int trailing_zeros = 0;       // periods since the last demand
    bool intermittent() const { return adi > 1.32; }
    bool lumpy() const { return cv2 > 0.49; }
};
// Throws Error(invalid_parameter_value) for a negative value.
Profile profile(const std::vector<double>& y);

// What 'auto' uses for a series with ADI > 1.32 and at least two demands:
// SBA (Syntetos, Boylan & Croston 2005 find it better than Croston for every
// intermittent and lumpy series), or TSB when the periods since the last
// demand exceed twice the ADI (demand may have stopped).
Method choose(const Profile& profile);

struct Model {
    Method method = Method::sba;
    double alpha = default_alpha, beta = default_beta;
    double rate = 0;              // the forecast per period
    std::vector<double> fitted;   // one-step forecasts; the first is NaN
};

// Needs at least one demand; throws Error(insufficient_data) otherwise.
Model fit(const std::vector<double>& y, Method method, double alpha = default_alpha, double beta = default_beta);

// A flat forecast at the rate; the bounds are the rate plus the empirical
// quantiles of the in-sample one-step errors from the first demand on, and
// never below 0.
forecast::Prediction predict(const Model& model, const std::vector<double>& y, int horizon,
                             const std::vector<double>& levels);

}  // namespace pgcrm::intermittent
