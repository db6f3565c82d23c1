#include "prediction.hpp"

#include <boost/math/distributions/normal.hpp>

namespace pgcrm::forecast {

double z_value(double level) { return boost::math::quantile(boost::math::normal(), 0.5 + level / 200); }

void normal_bands(Prediction& p, const std::vector<double>& levels, const std::vector<double>& se) {
    for (double level : levels) {
        const double z = z_value(level);
        std::vector<double> lo(p.point.size()), hi(p.point.size());
        for (size_t h = 0; h < p.point.size(); ++h) {
            lo[h] = p.point[h] - z * se[h];
            hi[h] = p.point[h] + z * se[h];
        }
        p.lower.push_back(std::move(lo));
        p.upper.push_back(std::move(hi));
    }
}

}  // namespace pgcrm::forecast
