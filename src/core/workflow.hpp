// Status-transition rules: which states a workflow has, which moves between
// them are allowed, and who may make them. Pure data and decisions; loading the
// rules from the database and enforcing them in a trigger is the glue's job.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgcrm::workflow {

struct State {
    std::string code;
    bool initial = false;
    bool final = false;
};

enum class Verdict {
    allowed,        // a defined transition (or a valid initial state on insert)
    unchanged,      // same state: always allowed, even for a final state
    unknown_state,  // the new value is not a state of the workflow
    not_initial,    // an insert that does not start in an initial state
    leaves_final,   // the old state is final
    no_transition,  // no transition from the old state to the new one
};

struct Decision {
    Verdict verdict;
    // For an allowed transition that names a role: the role the user must be a
    // member of; empty otherwise.
    std::string_view required_role;
};

class Workflow {
public:
    explicit Workflow(std::string code) : code_(std::move(code)) {}

    const std::string& code() const noexcept { return code_; }

    // States are added in display order; the first initial state is the default.
    void add_state(State state);
    void add_transition(std::string_view from, std::string_view to, std::string required_role = {});

    // -1 when the code is not a state of this workflow.
    int find(std::string_view state_code) const noexcept;
    bool has_initial_state() const noexcept { return default_initial_ >= 0; }
    // Precondition: has_initial_state().
    const std::string& default_initial() const noexcept { return states_[default_initial_].code; }

    Decision check_insert(std::string_view to) const noexcept;
    Decision check_update(std::string_view from, std::string_view to) const noexcept;

    // Human-readable lists for error hints, e.g. "in_progress, cancelled".
    const std::string& next_states_text(std::string_view from) const noexcept;
    const std::string& initial_states_text() const noexcept { return initial_text_; }

private:
    int index_of(std::string_view state_code, const char* role) const;

    std::string code_;
    std::vector<State> states_;
    std::vector<std::pair<std::string, int>> by_code_;  // sorted, for binary search
    // transition_[from * n + to]: -1 none, else an index into roles_.
    std::vector<int> transition_;
    std::vector<std::string> roles_{std::string()};  // roles_[0]: no role required
    std::vector<std::string> next_text_;
    std::string initial_text_;
    std::string none_text_ = "(none)";
    int default_initial_ = -1;
};

// All workflows of a database, looked up by code.
class Rules {
public:
    Workflow& add(std::string code);
    const Workflow* find(std::string_view code) const noexcept;
    Workflow* find(std::string_view code) noexcept;

private:
    std::map<std::string, Workflow, std::less<>> workflows_;
};

}  // namespace pgcrm::workflow
