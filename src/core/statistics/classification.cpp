#include "classification.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "core/error.hpp"
#include "distributions.hpp"

namespace pgcrm::statistics {

namespace {

void sort_descending(std::vector<Scored>& rows) {
    std::sort(rows.begin(), rows.end(), [](const Scored& a, const Scored& b) { return a.score > b.score; });
}

// Runs of equal scores in descending order, with their positives and negatives.
template <typename F>
void for_each_tie(const std::vector<Scored>& rows, F&& f) {
    for (size_t i = 0; i < rows.size();) {
        size_t j = i;
        int64_t positives = 0;
        while (j < rows.size() && rows[j].score == rows[i].score) positives += rows[j++].actual;
        f(rows[i].score, positives, static_cast<int64_t>(j - i) - positives);
        i = j;
    }
}

double ratio(int64_t a, int64_t b) { return b > 0 ? static_cast<double>(a) / b : nan; }

}  // namespace

Classification classify(std::vector<Scored>& rows, double threshold) {
    if (std::isnan(threshold)) throw Error(sqlstate::invalid_parameter_value, "the threshold is NaN");
    Classification c{};
    c.n = static_cast<int64_t>(rows.size());
    bool probabilities = true;
    double squares = 0, log_sum = 0;
    for (const Scored& r : rows) {
        c.positives += r.actual;
        probabilities = probabilities && r.score >= 0 && r.score <= 1;
        const double miss = r.score - r.actual;
        squares += miss * miss;
        const double p = std::clamp(r.actual ? r.score : 1 - r.score, DBL_EPSILON, 1 - DBL_EPSILON);
        log_sum += std::log(p);
        const bool predicted = r.score >= threshold;
        (predicted ? (r.actual ? c.true_positives : c.false_positives)
                   : (r.actual ? c.false_negatives : c.true_negatives)) += 1;
    }
    const int64_t negatives = c.n - c.positives;
    c.brier = probabilities && c.n > 0 ? squares / c.n : nan;
    c.log_loss = probabilities && c.n > 0 ? -log_sum / c.n : nan;
    c.accuracy = ratio(c.true_positives + c.true_negatives, c.n);
    c.precision = ratio(c.true_positives, c.true_positives + c.false_positives);
    c.recall = ratio(c.true_positives, c.positives);
    c.specificity = ratio(c.true_negatives, negatives);
    // Mann–Whitney: each positive beats the negatives below it, and half those tied.
    c.auc = nan;
    if (c.positives > 0 && negatives > 0) {
        sort_descending(rows);
        double wins = 0;
        int64_t negatives_above = 0;
        for_each_tie(rows, [&](double, int64_t pos, int64_t neg) {
            wins +=
                static_cast<double>(pos) * (negatives - negatives_above - neg) + 0.5 * static_cast<double>(pos) * neg;
            negatives_above += neg;
        });
        c.auc = wins / (static_cast<double>(c.positives) * negatives);
    }
    return c;
}

std::vector<RocPoint> roc_points(std::vector<Scored>& rows) {
    int64_t positives = 0;
    for (const Scored& r : rows) positives += r.actual;
    const int64_t negatives = static_cast<int64_t>(rows.size()) - positives;
    std::vector<RocPoint> points;
    if (positives == 0 || negatives == 0) return points;
    sort_descending(rows);
    points.push_back({infinity, 0, 0});
    int64_t tp = 0, fp = 0;
    for_each_tie(rows, [&](double score, int64_t pos, int64_t neg) {
        tp += pos;
        fp += neg;
        points.push_back({score, ratio(fp, negatives), ratio(tp, positives)});
    });
    return points;
}

}  // namespace pgcrm::statistics
