#include "core/workflow.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

using namespace pgcrm::workflow;

namespace {

// The seeded production_order workflow (sql/workflow.sql), built by hand.
Workflow production_order() {
    Workflow w("production_order");
    w.add_state({"accepted", true, false});
    w.add_state({"in_progress", false, false});
    w.add_state({"quality_control", false, false});
    w.add_state({"ready_for_shipment", false, true});
    w.add_state({"cancelled", false, true});
    w.add_transition("accepted", "in_progress");
    w.add_transition("in_progress", "quality_control");
    w.add_transition("quality_control", "ready_for_shipment", "qc_inspector");
    w.add_transition("accepted", "cancelled");
    w.add_transition("in_progress", "cancelled");
    return w;
}

}  // namespace

TEST(Workflow, ForwardMovesAreAllowed) {
    const Workflow w = production_order();
    EXPECT_EQ(w.check_update("accepted", "in_progress").verdict, Verdict::allowed);
    EXPECT_EQ(w.check_update("in_progress", "quality_control").verdict, Verdict::allowed);
    EXPECT_EQ(w.check_update("in_progress", "cancelled").verdict, Verdict::allowed);
}

TEST(Workflow, SkippingOrGoingBackIsRejected) {
    const Workflow w = production_order();
    EXPECT_EQ(w.check_update("accepted", "ready_for_shipment").verdict, Verdict::no_transition);
    EXPECT_EQ(w.check_update("quality_control", "in_progress").verdict, Verdict::no_transition);
    EXPECT_EQ(w.check_update("quality_control", "cancelled").verdict, Verdict::no_transition);
}

TEST(Workflow, FinalStatesAreNeverLeftButMayStay) {
    const Workflow w = production_order();
    EXPECT_EQ(w.check_update("cancelled", "accepted").verdict, Verdict::leaves_final);
    EXPECT_EQ(w.check_update("ready_for_shipment", "cancelled").verdict, Verdict::leaves_final);
    EXPECT_EQ(w.check_update("cancelled", "cancelled").verdict, Verdict::unchanged);
}

TEST(Workflow, UnknownStates) {
    const Workflow w = production_order();
    EXPECT_EQ(w.check_update("accepted", "shipped").verdict, Verdict::unknown_state);
    EXPECT_EQ(w.check_insert("shipped").verdict, Verdict::unknown_state);
    EXPECT_EQ(w.check_update("retired", "accepted").verdict, Verdict::no_transition);
    EXPECT_EQ(w.find("Accepted"), -1) << "state codes are case-sensitive";
}

TEST(Workflow, InsertMustStartInAnInitialState) {
    const Workflow w = production_order();
    EXPECT_EQ(w.check_insert("accepted").verdict, Verdict::allowed);
    EXPECT_EQ(w.check_insert("in_progress").verdict, Verdict::not_initial);
    EXPECT_EQ(w.default_initial(), "accepted");
    EXPECT_EQ(w.initial_states_text(), "accepted");
}

TEST(Workflow, RoleIsReportedForGuardedTransitions) {
    const Workflow w = production_order();
    EXPECT_EQ(w.check_update("quality_control", "ready_for_shipment").required_role, "qc_inspector");
    EXPECT_TRUE(w.check_update("accepted", "in_progress").required_role.empty());
}

TEST(Workflow, NextStatesTextListsMovesInDefinitionOrder) {
    const Workflow w = production_order();
    EXPECT_EQ(w.next_states_text("accepted"), "in_progress, cancelled");
    EXPECT_EQ(w.next_states_text("cancelled"), "(none)");
    EXPECT_EQ(w.next_states_text("nonsense"), "(none)");
}

TEST(Workflow, DefinitionErrors) {
    Workflow w = production_order();
    EXPECT_THROW(w.add_state({"accepted", false, false}), pgcrm::Error);
    EXPECT_THROW(w.add_transition("accepted", "nowhere"), pgcrm::Error);
}

// That a final state has no transitions is the definition's rule, enforced
// where definitions are stored (sql/workflow, test/pgtap/workflow.sql); a
// final state is never left whatever the transitions say.
TEST(Workflow, FinalStateIsNeverLeft) {
    Workflow w = production_order();
    w.add_transition("cancelled", "accepted");
    EXPECT_EQ(w.check_update("cancelled", "accepted").verdict, Verdict::leaves_final);
}

TEST(Workflow, StatesAddedAfterTransitionsKeepThem) {
    Workflow w("t");
    w.add_state({"a", true, false});
    w.add_state({"b", false, false});
    w.add_transition("a", "b");
    w.add_state({"c", false, true});
    w.add_transition("b", "c");
    EXPECT_EQ(w.check_update("a", "b").verdict, Verdict::allowed);
    EXPECT_EQ(w.check_update("b", "c").verdict, Verdict::allowed);
    EXPECT_EQ(w.check_update("a", "c").verdict, Verdict::no_transition);
}

TEST(Workflow, WithoutInitialState) {
    Workflow w("t");
    w.add_state({"a", false, false});
    EXPECT_FALSE(w.has_initial_state());
    EXPECT_EQ(w.check_insert("a").verdict, Verdict::not_initial);
}

TEST(Rules, LookupByCode) {
    Rules rules;
    rules.add("deal").add_state({"new", true, false});
    rules.add("lead");
    ASSERT_NE(rules.find("deal"), nullptr);
    EXPECT_EQ(rules.find("deal")->default_initial(), "new");
    EXPECT_EQ(rules.find("task"), nullptr);
    EXPECT_THROW(rules.add("deal"), pgcrm::Error);
}
