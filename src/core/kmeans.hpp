// K-means clustering: greedy k-means++ seeding, Lloyd iterations pruned with
// Hamerly's bounds, n_init restarts, and the quality measures used to choose k.
//
// Points arrive as a row-major n × d buffer owned by the caller (the glue
// collects it in PostgreSQL memory). The algorithm runs in the "fit space":
// the points themselves, or their z-scores when standardising. Centroids and
// inertia are reported in the original units.
#pragma once

#include <cstdint>
#include <vector>

namespace pgcrm::kmeans {

struct Dataset {
    double* data;                      // n × d, row-major
    int64_t n;
    int d;
    const double* weights = nullptr;  // n positive weights, or nullptr for 1
    const double* row(int64_t i) const { return data + i * d; }
};

// The affine map into the fit space: z = (x − mean) / scale. Empty = identity.
struct Scaling {
    std::vector<double> mean, scale;
    bool identity() const { return mean.empty(); }
};

// The defaults of every K-means entry point (SQL passes NULL for "the default").
struct Options {
    int k = 8;
    int n_init = 10;
    int max_iter = 300;
    double tol = 1e-4;  // on the squared centroid shift, relative to the mean feature variance
    uint64_t seed = 42;
    bool standardize = true;  // z-scores before fitting; the model keeps the scaling
};

struct Model {
    int k = 0, d = 0;
    std::vector<double> centroids;  // k × d, original units
    Scaling scaling;
    double inertia = 0;             // weighted WCSS in original units
    double objective = 0;           // the WCSS minimised: in the fit space (z-scores when standardised)
    int iterations = 0;             // of the best restart
    bool converged = false;
    std::vector<int64_t> sizes;     // points per cluster
};

// Rejects k < 1, n_init < 1, max_iter < 1, tol < 0 or NaN (22023).
void validate(const Options& options);

// Replaces the points by their (weighted) z-scores and returns the map used.
// A constant feature keeps scale 1, as scikit-learn's StandardScaler does.
Scaling standardize(Dataset& points);

// Applies a model's map to points in original units.
void apply(const Scaling& scaling, Dataset& points);

// Fits k-means to points already in the fit space of `scaling`. Fails with
// PC020 when the points have fewer than k distinct values, and 22023 for bad
// options. Deterministic for a given seed.
Model fit(const Dataset& points, const Scaling& scaling, const Options& options);

// Lloyd iterations from given centres (k × d, in the fit space) instead of
// k-means++: refreshing a stored segmentation keeps its cluster numbering.
Model refine(const Dataset& points, const Scaling& scaling, std::vector<double> centers, int max_iter, double tol);

// n rows of d values (centroids or points) mapped in place into the fit space
// of a scaling given by its mean and scale.
void to_fit_space(double* rows, int64_t n, int d, const double* mean, const double* scale) noexcept;

// Index of the centroid nearest to x (both in the same space); ties go to the
// lower index.
int nearest(const double* x, const double* centroids, int k, int d) noexcept;

// The same for x in original units and centroids in the fit space of the
// scaling given by mean and scale (both nullptr for the identity); scratch
// holds d doubles.
int classify(const double* x, const double* centroids, int k, int d, const double* mean, const double* scale,
             double* scratch) noexcept;

// Rejects an empty or sub-1 k range (22023).
void validate_range(int k_min, int k_max);

std::vector<int> assign(const Dataset& points, const double* centroids, int k);

// Mean silhouette coefficient (Rousseeuw 1987) with Euclidean distances. With
// 0 < sample_size < n it is computed on a sample drawn deterministically from
// `seed`, as scikit-learn's silhouette_score(sample_size=…) does. NaN when
// fewer than 2 clusters are present.
double silhouette(const Dataset& points, const std::vector<int>& labels, int k, int64_t sample_size = 0,
                  uint64_t seed = 42);

// The centroid-based approximation: a = distance to the own centroid, b = to
// the nearest other centroid. O(n·k·d). NaN when k < 2.
double simplified_silhouette(const Dataset& points, const std::vector<int>& labels, const double* centroids, int k);

struct ElbowPoint {
    int k;
    double inertia;                // the minimised WCSS (fit space): comparable across k
    double silhouette;             // NaN for k = 1
    double simplified_silhouette;  // NaN for k = 1
    bool suggested;
};

// Fits every k in [k_min, k_max] (points in the fit space) and suggests the knee of the inertia curve:
// the k farthest below the chord joining its two ends (needs 3 or more k).
std::vector<ElbowPoint> elbow(const Dataset& points, int k_min, int k_max, const Options& options,
                              int64_t silhouette_sample = 0);

// Memory a fit needs per point beyond the points themselves, for the glue's
// training-memory bound.
constexpr int64_t working_bytes_per_point = 6 * sizeof(double);

}  // namespace pgcrm::kmeans
