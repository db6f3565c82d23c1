#include "random.hpp"

#include <boost/math/distributions/normal.hpp>

namespace pgcrm::forecast {

double NormalDraws::operator()() { return sd_ * boost::math::quantile(boost::math::normal(), uniform()); }

}  // namespace pgcrm::forecast
