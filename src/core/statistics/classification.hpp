// How well scores predict a yes/no outcome, out of sample: the area under the
// ROC curve (ties counted half, as R's pROC), the Brier score, the log-loss,
// and the confusion matrix at a threshold; the ROC curve's points for a plot.
#pragma once

#include <cstdint>
#include <vector>

namespace pgcrm::statistics {

// A scored observation.
struct Scored {
    double score;
    bool actual;
};

struct Classification {
    int64_t n, positives;
    double auc;       // P(a positive outscores a negative) + ½ P(a tie); NaN without both outcomes
    double brier;     // mean (score − actual)²; NaN unless every score is a probability
    double log_loss;  // −mean log of the probability given to what happened, clipped to [ε, 1 − ε] as scikit-learn
    // At the threshold: a score ≥ threshold predicts a positive.
    int64_t true_positives, false_positives, true_negatives, false_negatives;
    double accuracy, precision, recall, specificity;  // NaN where the denominator is 0
};

// `rows` is reordered (sorted by score).
Classification classify(std::vector<Scored>& rows, double threshold);

struct RocPoint {
    double threshold, false_positive_rate, true_positive_rate;
};

// One point per distinct score, from the highest (predicting a positive for
// scores ≥ it) down, after (+∞, 0, 0); empty without both outcomes.
std::vector<RocPoint> roc_points(std::vector<Scored>& rows);

}  // namespace pgcrm::statistics
