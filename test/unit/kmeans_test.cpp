#include "core/kmeans.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "core/interrupt.hpp"

using namespace pgcrm::kmeans;

namespace {

const std::vector<std::vector<double>> iris = {
#include "data/iris.inc"
};

struct Points {
    std::vector<double> data;
    std::vector<double> weights;
    int d = 0;

    explicit Points(const std::vector<std::vector<double>>& rows, std::vector<double> w = {})
        : weights(std::move(w)), d(static_cast<int>(rows.front().size())) {
        for (const auto& r : rows) data.insert(data.end(), r.begin(), r.end());
    }
    Dataset view() {
        return {data.data(), static_cast<int64_t>(data.size() / d), d, weights.empty() ? nullptr : weights.data()};
    }
};

Options with_k(int k, int n_init = 10) {
    Options o;
    o.k = k;
    o.n_init = n_init;
    return o;
}

// Centroids as rows, sorted, so that tests do not depend on cluster numbering.
std::vector<std::vector<double>> sorted_rows(const std::vector<double>& flat, int d) {
    std::vector<std::vector<double>> rows;
    for (size_t i = 0; i < flat.size(); i += d) rows.emplace_back(flat.begin() + i, flat.begin() + i + d);
    std::sort(rows.begin(), rows.end());
    return rows;
}

void expect_rows_near(const std::vector<std::vector<double>>& actual, const std::vector<std::vector<double>>& expected,
                      double tolerance) {
    ASSERT_EQ(actual.size(), expected.size());
    for (size_t i = 0; i < actual.size(); ++i)
        for (size_t f = 0; f < expected[i].size(); ++f) EXPECT_NEAR(actual[i][f], expected[i][f], tolerance);
}

const char* sqlstate_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const pgcrm::Error& e) {
        return e.sqlstate();
    }
    return "none";
}

}  // namespace

// The three cases from the issue, worked by hand.
TEST(KMeans, AssignsEachPointToTheNearestCentroid) {
    Points p({{80, 5}, {250, 20}, {120, 10}, {400, 30}});
    const std::vector<double> centroids = {100, 8, 300, 25};
    EXPECT_EQ(assign(p.view(), centroids.data(), 2), (std::vector<int>{0, 1, 0, 1}));
}

// One Lloyd step from centres [2,3] and [8,7] labels the points [0,0,1,1]
// and moves the centres to the cluster means.
TEST(KMeans, UpdatesCentroidsToTheClusterMeans) {
    Points p({{2, 3}, {3, 4}, {5, 8}, {8, 7}});
    const Model m = refine(p.view(), {}, {2, 3, 8, 7}, 1, 1e-4);
    EXPECT_EQ(m.centroids, (std::vector<double>{2.5, 3.5, 6.5, 7.5}));
    EXPECT_EQ(m.sizes, (std::vector<int64_t>{2, 2}));
}

TEST(KMeans, ConvergesOnTheWorkedExample) {
    for (bool standardized : {false, true}) {
        Points p({{200, 5}, {220, 4}, {800, 15}, {820, 17}, {300, 6}});
        Dataset data = p.view();
        const Scaling scaling = standardized ? standardize(data) : Scaling{};
        const Model m = fit(data, scaling, with_k(2));
        expect_rows_near(sorted_rows(m.centroids, 2), {{240, 5}, {810, 16}}, 1e-9);
        EXPECT_NEAR(m.inertia, 5804, 1e-9) << "standardized " << standardized;
        EXPECT_TRUE(m.converged);
        std::vector<int64_t> sizes = m.sizes;
        std::sort(sizes.begin(), sizes.end());
        EXPECT_EQ(sizes, (std::vector<int64_t>{2, 3}));
    }
}

// Reference: scikit-learn 1.2.1 KMeans(3, n_init=20).fit(iris) and
// silhouette_score(iris, labels_) (Debian's python3-sklearn).
TEST(KMeans, MatchesScikitLearnOnIris) {
    Points p(iris);
    const Dataset data = p.view();
    const Model m = fit(data, {}, with_k(3));
    EXPECT_NEAR(m.inertia, 78.851441426146, 1e-9);
    expect_rows_near(sorted_rows(m.centroids, 4),
                     {{5.006, 3.428, 1.462, 0.246},
                      {5.9016129032258, 2.7483870967742, 4.3935483870968, 1.4338709677419},
                      {6.85, 3.0736842105263, 5.7421052631579, 2.0710526315789}},
                     1e-9);
    const auto labels = assign(data, m.centroids.data(), 3);
    EXPECT_NEAR(silhouette(data, labels, 3), 0.5528190123564094, 1e-12);
}

// Reference: KMeans(3).fit(StandardScaler().fit_transform(iris)): inertia_
// (the objective, in z-scores), centres mapped back with inverse_transform,
// and the WCSS of that partition in cm².
TEST(KMeans, StandardizedFitReportsOriginalUnits) {
    Points p(iris);
    Dataset data = p.view();
    const Scaling scaling = standardize(data);
    const Model m = fit(data, scaling, with_k(3));
    expect_rows_near(sorted_rows(m.centroids, 4),
                     {{5.006, 3.428, 1.462, 0.246},
                      {5.80188679245283, 2.6735849056603778, 4.369811320754717, 1.4132075471698113},
                      {6.780851063829788, 3.095744680851064, 5.510638297872341, 1.9723404255319148}},
                     1e-9);
    EXPECT_NEAR(m.inertia, 86.42692131674023, 1e-9);
    EXPECT_NEAR(m.objective, 139.82049635974982, 1e-9);
    std::vector<int64_t> sizes = m.sizes;
    std::sort(sizes.begin(), sizes.end());
    EXPECT_EQ(sizes, (std::vector<int64_t>{47, 50, 53}));
}

// Reference: KMeans(3).fit(P, sample_weight=w).inertia_ and cluster_centers_.
TEST(KMeans, HonoursSampleWeights) {
    Points p({{1, 1}, {1.5, 2}, {3, 4}, {5, 7}, {3.5, 5}, {4.5, 5}, {3.5, 4.5}, {9, 9}, {8, 8.5}, {9.5, 8}},
             {1, 2, 1, 3, 1, 1, 2, 1, 4, 1});
    const Model m = fit(p.view(), {}, with_k(3));
    EXPECT_NEAR(m.inertia, 19.916666666666664, 1e-9);
    expect_rows_near(sorted_rows(m.centroids, 2),
                     {{1.3333333333333335, 1.666666666666667}, {4.125, 5.5}, {8.416666666666666, 8.5}}, 1e-9);
}

// Reference: silhouette_score(P, labels) for the same points, unweighted.
TEST(KMeans, SilhouetteMatchesScikitLearn) {
    Points p({{1, 1}, {1.5, 2}, {3, 4}, {5, 7}, {3.5, 5}, {4.5, 5}, {3.5, 4.5}, {9, 9}, {8, 8.5}, {9.5, 8}});
    EXPECT_NEAR(silhouette(p.view(), {2, 2, 0, 0, 0, 0, 0, 1, 1, 1}, 3), 0.6624375654307043, 1e-12);
    EXPECT_NEAR(silhouette(p.view(), {0, 0, 1, 1, 1, 2, 2, 2, 2, 0}, 3), -0.08912738104549266, 1e-12);
    EXPECT_TRUE(std::isnan(silhouette(p.view(), std::vector<int>(10, 1), 3)));
}

TEST(KMeans, SampledSilhouetteIsDeterministicAndClose) {
    Points p(iris);
    const Dataset data = p.view();
    const Model m = fit(data, {}, with_k(3));
    const auto labels = assign(data, m.centroids.data(), 3);
    const double a = silhouette(data, labels, 3, 60, 7);
    EXPECT_EQ(a, silhouette(data, labels, 3, 60, 7));
    EXPECT_NE(a, silhouette(data, labels, 3, 60, 8));
    EXPECT_NEAR(a, 0.5528190123564094, 0.1);
}

// By hand: (0,0) has a = 1, b = 10; (2,0) a = 1, b = 8; (10,0) a = 0, b = 9.
TEST(KMeans, SimplifiedSilhouetteUsesCentroids) {
    Points p({{0, 0}, {2, 0}, {10, 0}});
    const std::vector<double> centroids = {1, 0, 10, 0};
    const double expected = ((10.0 - 1) / 10 + (8.0 - 1) / 8 + 1.0) / 3;
    EXPECT_NEAR(simplified_silhouette(p.view(), {0, 0, 1}, centroids.data(), 2), expected, 1e-15);
}

TEST(KMeans, IsDeterministicForASeed) {
    Points p(iris);
    Options o = with_k(5, 3);
    const Model a = fit(p.view(), {}, o), b = fit(p.view(), {}, o);
    EXPECT_EQ(a.centroids, b.centroids);
    EXPECT_EQ(a.iterations, b.iterations);
}

// Points 0,1,2,10,11,15 from centres 1, 12, 100: the third cluster starts
// empty and takes 15, the point farthest from its centre (12).
TEST(KMeans, ReseedsAnEmptyClusterFromTheFarthestPoint) {
    Points p(std::vector<std::vector<double>>{{0}, {1}, {2}, {10}, {11}, {15}});
    const Model m = refine(p.view(), {}, {1, 12, 100}, 100, 1e-4);
    EXPECT_EQ(m.centroids, (std::vector<double>{1, 10.5, 15}));
    EXPECT_DOUBLE_EQ(m.inertia, 2.5);
    EXPECT_EQ(m.sizes, (std::vector<int64_t>{3, 2, 1}));
}

TEST(KMeans, RejectsKAboveTheDistinctPoints) {
    Points p({{1, 1}, {1, 1}, {2, 2}, {3, 3}, {2, 2}});
    EXPECT_STREQ(sqlstate_of([&] { fit(p.view(), {}, with_k(4)); }), "PC020");
    EXPECT_NO_THROW(fit(p.view(), {}, with_k(3)));
    try {
        fit(p.view(), {}, with_k(4));
    } catch (const pgcrm::Error& e) {
        EXPECT_NE(std::string(e.what()).find("3 distinct"), std::string::npos) << e.what();
    }
}

// A k beyond the points is refused before k centres are allocated or the
// restarts' random draws skipped: with k = INT_MAX both once took minutes.
TEST(KMeans, RejectsKAboveThePointsAtOnce) {
    Points p(std::vector<std::vector<double>>{{1}, {2}});
    try {
        fit(p.view(), {}, with_k(std::numeric_limits<int>::max()));
        ADD_FAILURE() << "no error";
    } catch (const pgcrm::Error& e) {
        EXPECT_STREQ(e.sqlstate(), "PC020");
        EXPECT_STREQ(e.what(), "k = 2147483647 is more than the 2 points of the data");
    }
}

TEST(KMeans, RejectsBadOptions) {
    Points p(std::vector<std::vector<double>>{{1}, {2}});
    for (Options o : {with_k(0), with_k(1, 0)}) EXPECT_STREQ(sqlstate_of([&] { fit(p.view(), {}, o); }), "22023");
    Options o = with_k(1);
    o.tol = std::nan("");
    EXPECT_STREQ(sqlstate_of([&] { fit(p.view(), {}, o); }), "22023");
    o.tol = 1e-4;
    o.max_iter = 0;
    EXPECT_STREQ(sqlstate_of([&] { fit(p.view(), {}, o); }), "22023");
}

// Reference inertias: KMeans(k, n_init=50).fit(iris) for k = 1, 2, 3. The
// knee follows from scikit-learn's inertias for k = 1..6 (681.37, 152.35,
// 78.85, 57.23, 46.45, 39.04): k = 2 lies farthest below the chord.
TEST(KMeans, ElbowSuggestsTheKnee) {
    Points p(iris);
    const auto curve = elbow(p.view(), 1, 6, with_k(1), 0);
    ASSERT_EQ(curve.size(), 6u);
    EXPECT_NEAR(curve[0].inertia, 681.3706, 1e-9);
    EXPECT_NEAR(curve[1].inertia, 152.3479517603579, 1e-9);
    EXPECT_NEAR(curve[2].inertia, 78.851441426146, 1e-9);
    EXPECT_TRUE(std::isnan(curve[0].silhouette));
    EXPECT_NEAR(curve[2].silhouette, 0.5528190123564094, 1e-12);
    for (const auto& point : curve) EXPECT_EQ(point.suggested, point.k == 2) << point.k;
}

namespace {
int polls = 0;
void count_and_cancel() {
    if (++polls > 3) throw pgcrm::Error("57014", "canceled");
}
}  // namespace

TEST(KMeans, LongFitsPollForInterrupts) {
    std::vector<std::vector<double>> rows;
    for (int i = 0; i < 200000; ++i) rows.push_back({std::sin(i * 0.1), std::cos(i * 0.37)});
    Points p(rows);
    polls = 0;
    pgcrm::set_interrupt_hook(count_and_cancel);
    EXPECT_STREQ(sqlstate_of([&] { fit(p.view(), {}, with_k(8)); }), "57014");
    pgcrm::set_interrupt_hook(nullptr);
}

namespace {
std::thread::id caller;
bool polled_elsewhere = false;
void note_thread() {
    ++polls;
    if (std::this_thread::get_id() != caller) polled_elsewhere = true;
}
}  // namespace

// The restarts share two threads; the interrupt hook calls PostgreSQL, so
// only the calling thread may run it.
TEST(KMeans, OnlyTheCallingThreadChecksInterrupts) {
    std::vector<std::vector<double>> rows;
    for (int i = 0; i < 100000; ++i) rows.push_back({std::sin(i * 0.1), std::cos(i * 0.37)});
    Points p(rows);
    polls = 0;
    caller = std::this_thread::get_id();
    pgcrm::set_interrupt_hook(note_thread);
    const Model a = fit(p.view(), {}, with_k(8, 4));
    pgcrm::set_interrupt_hook(nullptr);
    EXPECT_GT(polls, 0);
    EXPECT_FALSE(polled_elsewhere);
    // However the threads share the restarts, a seed gives one result.
    const Model b = fit(p.view(), {}, with_k(8, 4));
    EXPECT_EQ(a.centroids, b.centroids);
}
