#include "workflow.hpp"

#include <algorithm>

#include "error.hpp"

namespace pgcrm::workflow {

namespace {

void append_item(std::string& list, const std::string& item) {
    if (!list.empty()) list += ", ";
    list += item;
}

}  // namespace

void Workflow::add_state(State state) {
    if (find(state.code) >= 0)
        throw Error(sqlstate::invalid_parameter_value,
                    "workflow \"" + code_ + "\" defines state \"" + state.code + "\" twice");

    const int n = static_cast<int>(states_.size());
    // Grow the n×n transition matrix to (n+1)×(n+1), keeping existing moves.
    std::vector<int> grown(static_cast<size_t>(n + 1) * (n + 1), -1);
    for (int from = 0; from < n; ++from)
        std::copy_n(transition_.begin() + from * n, n, grown.begin() + from * (n + 1));
    transition_.swap(grown);

    if (state.initial) {
        append_item(initial_text_, state.code);
        if (default_initial_ < 0) default_initial_ = n;
    }
    auto pos = std::lower_bound(by_code_.begin(), by_code_.end(), state.code,
                                [](const auto& entry, const std::string& key) { return entry.first < key; });
    by_code_.insert(pos, {state.code, n});
    states_.push_back(std::move(state));
    next_text_.emplace_back();
}

int Workflow::index_of(std::string_view state_code, const char* role) const {
    const int i = find(state_code);
    if (i < 0)
        throw Error(sqlstate::invalid_parameter_value, "workflow \"" + code_ + "\" has no " + role +
                                                           " state \"" + std::string(state_code) + "\"");
    return i;
}

void Workflow::add_transition(std::string_view from, std::string_view to, std::string required_role) {
    const int f = index_of(from, "from");
    const int t = index_of(to, "to");
    const size_t n = states_.size();
    int& cell = transition_[f * n + t];
    if (cell >= 0) return;  // the database's primary key makes a repeat impossible; ignore it here too
    if (required_role.empty()) {
        cell = 0;
    } else {
        cell = static_cast<int>(roles_.size());
        roles_.push_back(std::move(required_role));
    }
    append_item(next_text_[f], states_[t].code);
}

int Workflow::find(std::string_view state_code) const noexcept {
    auto pos = std::lower_bound(by_code_.begin(), by_code_.end(), state_code,
                                [](const auto& entry, std::string_view key) { return entry.first < key; });
    return pos != by_code_.end() && pos->first == state_code ? pos->second : -1;
}

Decision Workflow::check_insert(std::string_view to) const noexcept {
    const int t = find(to);
    if (t < 0) return {Verdict::unknown_state, {}};
    if (!states_[t].initial) return {Verdict::not_initial, {}};
    return {Verdict::allowed, {}};
}

Decision Workflow::check_update(std::string_view from, std::string_view to) const noexcept {
    if (from == to) return {Verdict::unchanged, {}};
    const int t = find(to);
    if (t < 0) return {Verdict::unknown_state, {}};
    const int f = find(from);
    // A row whose stored state is no longer defined can only move along defined transitions,
    // of which it has none.
    if (f < 0) return {Verdict::no_transition, {}};
    if (states_[f].final) return {Verdict::leaves_final, {}};
    const int cell = transition_[f * states_.size() + t];
    if (cell < 0) return {Verdict::no_transition, {}};
    return {Verdict::allowed, roles_[cell]};
}

const std::string& Workflow::next_states_text(std::string_view from) const noexcept {
    const int f = find(from);
    if (f < 0 || next_text_[f].empty()) return none_text_;
    return next_text_[f];
}

Workflow& Rules::add(std::string code) {
    if (workflows_.count(code))
        throw Error(sqlstate::invalid_parameter_value, "workflow \"" + code + "\" is defined twice");
    std::string key = code;
    return workflows_.emplace(std::move(key), Workflow(std::move(code))).first->second;
}

const Workflow* Rules::find(std::string_view code) const noexcept {
    auto it = workflows_.find(code);
    return it == workflows_.end() ? nullptr : &it->second;
}

Workflow* Rules::find(std::string_view code) noexcept {
    return const_cast<Workflow*>(static_cast<const Rules&>(*this).find(code));
}

}  // namespace pgcrm::workflow
