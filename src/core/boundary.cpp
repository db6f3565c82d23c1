#include "boundary.hpp"

#include <new>
#include <stdexcept>
#include <vector>

#include "eigen.hpp"
#include "error.hpp"
#include "interrupt.hpp"

namespace pgcrm::boundary {

namespace {
int probes = 0;
}

Probe::Probe() noexcept { ++probes; }
Probe::~Probe() { --probes; }

int live_probes() noexcept { return probes; }

bool raise_fault(std::string_view fault) {
    Probe probe;
    std::vector<double> buffer(1024, 1.0);
    if (fault == "cpp_exception") throw std::runtime_error("selftest: a C++ exception");
    if (fault == "core_error")
        throw Error(sqlstate::invalid_parameter_value, "selftest: a core error", "selftest hint");
    if (fault == "bad_alloc") throw std::bad_alloc();
    if (fault == "eigen_assert") {
        Eigen::MatrixXd a = Eigen::MatrixXd::Ones(2, 3);
        Eigen::MatrixXd b = Eigen::MatrixXd::Ones(2, 3);
        Eigen::MatrixXd c = a * b;  // inner dimensions differ: an Eigen assertion
        return c.size() > 0;
    }
    if (fault == "interrupt") {
        for (;;) {
            check_interrupts();
            buffer[0] += 1.0;
        }
    }
    return false;
}

}  // namespace pgcrm::boundary
