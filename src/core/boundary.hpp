// Faults on purpose, so that a test (or a DBA after an install) can prove the
// C++/PostgreSQL boundary turns each into an ordinary SQL error.
#pragma once

#include <string_view>

namespace pgcrm::boundary {

// Objects of this type are alive while a fault is raised; after the error,
// live_probes() must be 0 again, which shows the stack was unwound.
class Probe {
public:
    Probe() noexcept;
    ~Probe();
    Probe(const Probe&) = delete;
    Probe& operator=(const Probe&) = delete;
};

int live_probes() noexcept;

// Raises the named fault while a Probe and a heap buffer are alive:
// "cpp_exception", "core_error", "bad_alloc", "eigen_assert", or "interrupt"
// (loops on check_interrupts() until the hook throws). Returns false for an
// unknown name.
bool raise_fault(std::string_view fault);

}  // namespace pgcrm::boundary
