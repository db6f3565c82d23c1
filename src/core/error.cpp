#include "error.hpp"

namespace pgcrm {

void eigen_assertion_failed(const char* condition, const char* file, int line) {
    throw Error(sqlstate::internal_error,
                std::string("Eigen assertion failed: ") + condition + " at " + file + ":" +
                    std::to_string(line));
}

}  // namespace pgcrm
