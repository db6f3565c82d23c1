// Reference values: R 4.2.2 with pROC 1.18.0 (Debian's r-cran-proc),
// roc(am, score, direction = "<", levels = c(0, 1)), its auc and coords; the
// Brier score and log-loss as scikit-learn 1.2.1's brier_score_loss and
// log_loss (Debian's python3-sklearn), which R's mean((s - y)^2) and the
// clipped mean log agree with. The scores are round(fitted(glm(am ~ wt,
// binomial, mtcars)), 1): ties, and probabilities of exactly 0 and 1.
#include "core/statistics/classification.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "testing.hpp"

using namespace pgcrm::statistics;
using pgcrm::testing::expect_relative;

namespace {

std::vector<Scored> manual_transmission() {
    const double score[] = {0.8, 0.6, 0.9, 0.3, 0.1, 0.1, 0.1, 0.3, 0.3, 0.1, 0.1, 0, 0,   0,   0,   0,
                            0,   1,   1,   1,   0.9, 0.1, 0.1, 0,   0,   1,   1,   1, 0.3, 0.7, 0.1, 0.7};
    const int am[] = {1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1};
    std::vector<Scored> rows;
    for (int i = 0; i < 32; ++i) rows.push_back({score[i], am[i] == 1});
    return rows;
}

}  // namespace

TEST(Classification, MatchesPRocAndScikitLearn) {
    std::vector<Scored> rows = manual_transmission();
    const Classification c = classify(rows, 0.5);
    EXPECT_EQ(c.n, 32);
    EXPECT_EQ(c.positives, 13);
    expect_relative(c.auc, 0.94129554655870451, 1e-14);
    expect_relative(c.brier, 0.08875000000000001, 1e-14);
    expect_relative(c.log_loss, 0.2865428440734532, 1e-12);
    // table(pred = score >= 0.5, actual = am)
    EXPECT_EQ(c.true_positives, 11);
    EXPECT_EQ(c.false_positives, 1);
    EXPECT_EQ(c.true_negatives, 18);
    EXPECT_EQ(c.false_negatives, 2);
    expect_relative(c.accuracy, 29.0 / 32, 1e-15);
    expect_relative(c.precision, 11.0 / 12, 1e-15);
    expect_relative(c.recall, 11.0 / 13, 1e-15);
    expect_relative(c.specificity, 18.0 / 19, 1e-15);
}

// pROC's coords(…, "all"): its thresholds are midpoints between scores, ours
// the scores themselves; the rates at each are the same.
TEST(Classification, RocPointsMatchPRocCoords) {
    std::vector<Scored> rows = manual_transmission();
    const std::vector<RocPoint> points = roc_points(rows);
    const double threshold[] = {INFINITY, 1, 0.9, 0.8, 0.7, 0.6, 0.3, 0.1, 0};
    const double specificity[] = {1,
                                  1,
                                  0.94736842105263153,
                                  0.94736842105263153,
                                  0.94736842105263153,
                                  0.94736842105263153,
                                  0.78947368421052633,
                                  0.42105263157894735,
                                  0};
    const double sensitivity[] = {0,
                                  0.46153846153846156,
                                  0.53846153846153844,
                                  0.61538461538461542,
                                  0.76923076923076927,
                                  0.84615384615384615,
                                  0.92307692307692313,
                                  1,
                                  1};
    ASSERT_EQ(points.size(), 9u);
    for (int i = 0; i < 9; ++i) {
        SCOPED_TRACE(i);
        EXPECT_EQ(points[i].threshold, threshold[i]);
        EXPECT_NEAR(points[i].false_positive_rate, 1 - specificity[i], 1e-15);
        EXPECT_NEAR(points[i].true_positive_rate, sensitivity[i], 1e-15);
    }
}

// Closed forms: a perfect ranking has AUC 1, a reversed one 0, all scores
// tied ½; scores that are not probabilities have no Brier score or log-loss.
TEST(Classification, EdgeCases) {
    std::vector<Scored> perfect = {{0.9, true}, {0.8, true}, {0.2, false}};
    EXPECT_EQ(classify(perfect, 0.5).auc, 1);
    std::vector<Scored> reversed = {{0.1, true}, {0.8, false}, {0.9, false}};
    EXPECT_EQ(classify(reversed, 0.5).auc, 0);
    std::vector<Scored> tied = {{0.5, true}, {0.5, false}, {0.5, true}};
    EXPECT_EQ(classify(tied, 0.5).auc, 0.5);
    std::vector<Scored> raw = {{3.2, true}, {-1, false}};
    const Classification c = classify(raw, 0);
    EXPECT_EQ(c.auc, 1);
    EXPECT_TRUE(std::isnan(c.brier));
    EXPECT_TRUE(std::isnan(c.log_loss));
    std::vector<Scored> one_class = {{0.3, true}, {0.6, true}};
    const Classification d = classify(one_class, 0.5);
    EXPECT_TRUE(std::isnan(d.auc));
    EXPECT_TRUE(std::isnan(d.specificity));
    expect_relative(d.brier, (0.49 + 0.16) / 2, 1e-15);
    EXPECT_TRUE(roc_points(one_class).empty());
    EXPECT_THROW(classify(one_class, std::nan("")), pgcrm::Error);
}
