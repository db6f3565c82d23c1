#include "kmeans.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <limits>
#include <random>
#include <string>
#include <thread>

#include "error.hpp"
#include "interrupt.hpp"

namespace pgcrm::kmeans {

namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();
constexpr int64_t interrupt_stride = 1 << 14;

inline double squared_distance(const double* a, const double* b, int d) {
    double s = 0;
    for (int j = 0; j < d; ++j) {
        const double t = a[j] - b[j];
        s += t * t;
    }
    return s;
}

// Centres are also kept feature-major, in blocks of `lanes` (padded with
// zeros): the distances to one block are independent sums held in registers,
// so they pipeline and vectorise. Each is accumulated in feature order, exactly
// as squared_distance does.
constexpr int lanes = 4;

inline int padded(int m) { return (m + lanes - 1) / lanes * lanes; }

// Squared distances from x to m centres in the layout of transpose(); out
// has room for padded(m) values.
inline void squared_distances(const double* x, const double* centres_t, int m, int d, double* out) {
    const int stride = padded(m);
    for (int block = 0; block < stride; block += lanes) {
        double acc[lanes] = {};
        for (int f = 0; f < d; ++f) {
            const double xf = x[f];
            const double* c = centres_t + static_cast<size_t>(f) * stride + block;
            for (int j = 0; j < lanes; ++j) {
                const double t = xf - c[j];
                acc[j] += t * t;
            }
        }
        std::copy_n(acc, lanes, out + block);
    }
}

// Row-major m × d centres to the layout squared_distances reads.
void transpose(const double* centres, int m, int d, std::vector<double>& out) {
    const int stride = padded(m);
    out.assign(static_cast<size_t>(stride) * d, 0.0);
    for (int j = 0; j < m; ++j)
        for (int f = 0; f < d; ++f) out[static_cast<size_t>(f) * stride + j] = centres[static_cast<size_t>(j) * d + f];
}

// Restarts run on two threads (see best_run). Only the caller's thread calls
// check_interrupts(), whose hook calls PostgreSQL; the other thread polls the
// flag the caller raises when it stops, and throws Stopped.
struct Stopped {};
thread_local const std::atomic<bool>* stop_flag = nullptr;

inline void poll(int64_t i) {
    if ((i & (interrupt_stride - 1)) != 0) return;
    if (!stop_flag)
        check_interrupts();
    else if (stop_flag->load(std::memory_order_relaxed))
        throw Stopped{};
}

inline double weight_of(const Dataset& p, int64_t i) { return p.weights ? p.weights[i] : 1.0; }

// Uniform doubles from the standard's fully specified mt19937_64, so a seed
// gives the same clustering with any standard library.
class Random {
public:
    explicit Random(uint64_t seed) : engine_(seed) {}
    double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
    void skip(unsigned long long draws) { engine_.discard(draws); }

private:
    std::mt19937_64 engine_;
};

// Index i with cumulative[i - 1] <= r < cumulative[i]: a draw proportional to
// the increments, which skips zero-weight entries.
int64_t draw(const std::vector<double>& cumulative, Random& rng) {
    const double r = rng.uniform() * cumulative.back();
    const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), r);
    return std::min<int64_t>(it - cumulative.begin(), static_cast<int64_t>(cumulative.size()) - 1);
}

[[noreturn]] void too_few_distinct(int k, int distinct) {
    throw Error(sqlstate::insufficient_data,
                "k = " + std::to_string(k) + " is more than the " + std::to_string(distinct) +
                    " distinct points of the data",
                "Choose k of at most " + std::to_string(distinct) + ".");
}

int seeding_trials(int k) { return 2 + static_cast<int>(std::log(k)); }

// Greedy k-means++ (Arthur & Vassilvitskii 2007, with the 2 + ⌊ln k⌋ local
// trials per step that scikit-learn uses): each step draws candidates with
// probability ∝ w·D² and keeps the one that lowers the potential most. The
// potential reaching 0 after c centres means there are exactly c distinct points.
std::vector<double> seed_centers(const Dataset& p, int k, Random& rng) {
    const int64_t n = p.n;
    const int d = p.d;
    std::vector<double> centers(static_cast<size_t>(k) * d);
    std::vector<double> cumulative(n);

    double total = 0;
    for (int64_t i = 0; i < n; ++i) cumulative[i] = total += weight_of(p, i);
    int64_t chosen = draw(cumulative, rng);
    std::copy_n(p.row(chosen), d, centers.begin());

    std::vector<double> closest(n);
    double potential = 0;
    for (int64_t i = 0; i < n; ++i) {
        poll(i);
        closest[i] = squared_distance(p.row(i), p.row(chosen), d);
        potential += weight_of(p, i) * closest[i];
    }
    const int trials = seeding_trials(k);
    std::vector<double> candidates(static_cast<size_t>(trials) * d), candidates_t, distance(padded(trials)), potentials(trials);
    for (int c = 1; c < k; ++c) {
        if (!(potential > 0)) too_few_distinct(k, c);
        double running = 0;
        for (int64_t i = 0; i < n; ++i) cumulative[i] = running += weight_of(p, i) * closest[i];
        std::vector<int64_t> drawn(trials);
        for (int t = 0; t < trials; ++t) {
            drawn[t] = draw(cumulative, rng);
            std::copy_n(p.row(drawn[t]), d, candidates.begin() + static_cast<size_t>(t) * d);
        }
        // One pass scores every candidate: the potential if it were chosen.
        transpose(candidates.data(), trials, d, candidates_t);
        std::fill(potentials.begin(), potentials.end(), 0.0);
        for (int64_t i = 0; i < n; ++i) {
            poll(i);
            squared_distances(p.row(i), candidates_t.data(), trials, d, distance.data());
            const double w = weight_of(p, i);
            for (int t = 0; t < trials; ++t) potentials[t] += w * std::min(closest[i], distance[t]);
        }
        const int best = static_cast<int>(std::min_element(potentials.begin(), potentials.end()) - potentials.begin());
        chosen = drawn[best];
        std::copy_n(p.row(chosen), d, centers.begin() + static_cast<size_t>(c) * d);
        for (int64_t i = 0; i < n; ++i) {
            poll(i);
            closest[i] = std::min(closest[i], squared_distance(p.row(i), p.row(chosen), d));
        }
        potential = potentials[best];
    }
    return centers;
}

struct Run {
    std::vector<double> centers;  // fit space
    std::vector<int> labels;
    double objective = infinity;  // weighted WCSS in the fit space
    int iterations = 0;
    bool converged = false;
};

// Lloyd's algorithm with Hamerly's bounds (Hamerly 2010): for each point an
// upper bound on the distance to its centre and a lower bound on the distance
// to every other centre. A point is only re-examined when the bounds overlap,
// so after the first few iterations most points cost O(1). The assignments
// are exactly Lloyd's. Iteration count and stopping rule follow scikit-learn:
// stop when no label changes, or when the summed squared centre shift is at
// most tol_abs; then labels are brought in line with the final centres.
class Lloyd {
public:
    Lloyd(const Dataset& p, std::vector<double> centers, int k)
        : p_(p), k_(k), d_(p.d), centers_(std::move(centers)), labels_(p.n), upper_(p.n), lower_(p.n),
          sums_(static_cast<size_t>(k) * p.d), weights_(k), counts_(k), half_gap_(k), shift_(k), distance_(padded(k)) {
        transpose(centers_.data(), k_, d_, centers_t_);
    }

    Run run(int max_iter, double tol_abs) {
        Run result;
        assign_all();
        for (int it = 1; it <= max_iter; ++it) {
            if (it > 1 && reassign() == 0) {
                result.converged = true;
                result.iterations = it;
                break;
            }
            const double total_shift = move_centers();
            result.iterations = it;
            if (total_shift <= tol_abs) {
                result.converged = true;
                reassign();
                break;
            }
            if (it == max_iter) reassign();
        }
        result.objective = 0;
        for (int64_t i = 0; i < p_.n; ++i)
            result.objective += weight_of(p_, i) * squared_distance(p_.row(i), center(labels_[i]), d_);
        result.centers = std::move(centers_);
        result.labels = std::move(labels_);
        return result;
    }

private:
    const double* center(int j) const { return centers_.data() + static_cast<size_t>(j) * d_; }

    void add(int64_t i, int j, double sign) {
        const double w = sign * weight_of(p_, i);
        const double* x = p_.row(i);
        double* s = sums_.data() + static_cast<size_t>(j) * d_;
        for (int f = 0; f < d_; ++f) s[f] += w * x[f];
        weights_[j] += w;
        counts_[j] += sign > 0 ? 1 : -1;
    }

    // The nearest and second-nearest centres of point i, setting both bounds.
    int examine(int64_t i) {
        double best = infinity, second = infinity;
        int best_j = 0;
        squared_distances(p_.row(i), centers_t_.data(), k_, d_, distance_.data());
        for (int j = 0; j < k_; ++j) {
            const double dd = distance_[j];
            if (dd < best) {
                second = best;
                best = dd;
                best_j = j;
            } else if (dd < second) {
                second = dd;
            }
        }
        upper_[i] = std::sqrt(best);
        lower_[i] = std::sqrt(second);
        return best_j;
    }

    void assign_all() {
        for (int64_t i = 0; i < p_.n; ++i) {
            poll(i);
            labels_[i] = examine(i);
            add(i, labels_[i], 1);
        }
    }

    // The E-step: returns how many labels changed.
    int64_t reassign() {
        for (int j = 0; j < k_; ++j) {
            double gap = infinity;
            for (int o = 0; o < k_; ++o)
                if (o != j) gap = std::min(gap, squared_distance(center(j), center(o), d_));
            half_gap_[j] = 0.5 * std::sqrt(gap);
        }
        int64_t changed = 0;
        for (int64_t i = 0; i < p_.n; ++i) {
            poll(i);
            const int a = labels_[i];
            const double bound = std::max(half_gap_[a], lower_[i]);
            if (upper_[i] <= bound) continue;
            upper_[i] = std::sqrt(squared_distance(p_.row(i), center(a), d_));
            if (upper_[i] <= bound) continue;
            const int b = examine(i);
            if (b != a) {
                add(i, a, -1);
                add(i, b, 1);
                labels_[i] = b;
                ++changed;
            }
        }
        return changed;
    }

    // The M-step: centres become the weighted means; returns the summed
    // squared shift and keeps every bound valid for the moved centres.
    double move_centers() {
        const bool relocated = relocate_empty_clusters();
        double total = 0, max_shift = 0, second_shift = 0;
        int max_j = 0;
        for (int j = 0; j < k_; ++j) {
            double* c = centers_.data() + static_cast<size_t>(j) * d_;
            const double* s = sums_.data() + static_cast<size_t>(j) * d_;
            double moved = 0;
            for (int f = 0; f < d_; ++f) {
                const double next = s[f] / weights_[j];
                moved += (next - c[f]) * (next - c[f]);
                c[f] = next;
            }
            total += moved;
            shift_[j] = std::sqrt(moved);
            if (shift_[j] > max_shift) {
                second_shift = max_shift;
                max_shift = shift_[j];
                max_j = j;
            } else if (shift_[j] > second_shift) {
                second_shift = shift_[j];
            }
        }
        transpose(centers_.data(), k_, d_, centers_t_);
        for (int64_t i = 0; i < p_.n; ++i) {
            if (relocated) {
                upper_[i] = infinity;
                lower_[i] = 0;
                continue;
            }
            upper_[i] += shift_[labels_[i]];
            lower_[i] -= labels_[i] == max_j ? second_shift : max_shift;
        }
        return total;
    }

    // An empty cluster takes the point farthest from its centre among
    // clusters that can spare one (as scikit-learn relocates). Rare, so the
    // bounds are simply reset afterwards.
    bool relocate_empty_clusters() {
        std::vector<double> far;
        for (int j = 0; j < k_; ++j) {
            if (counts_[j] > 0) continue;
            if (far.empty()) {
                far.resize(p_.n);
                for (int64_t i = 0; i < p_.n; ++i)
                    far[i] = squared_distance(p_.row(i), center(labels_[i]), d_);
            }
            int64_t pick = -1;
            for (int64_t i = 0; i < p_.n; ++i)
                if (counts_[labels_[i]] > 1 && (pick < 0 || far[i] > far[pick])) pick = i;
            if (pick < 0) throw Error(sqlstate::internal_error, "k-means: no point can refill an empty cluster");
            add(pick, labels_[pick], -1);
            add(pick, j, 1);
            labels_[pick] = j;
            far[pick] = -1;
        }
        return !far.empty();
    }

    const Dataset& p_;
    const int k_, d_;
    std::vector<double> centers_, centers_t_;
    std::vector<int> labels_;
    std::vector<double> upper_, lower_;
    std::vector<double> sums_, weights_;
    std::vector<int64_t> counts_;
    std::vector<double> half_gap_, shift_, distance_;
};

// scikit-learn's tolerance: tol times the mean per-feature variance.
double absolute_tolerance(const Dataset& p, double tol) {
    std::vector<double> mean(p.d, 0.0), m2(p.d, 0.0);
    for (int64_t i = 0; i < p.n; ++i)
        for (int f = 0; f < p.d; ++f) mean[f] += p.row(i)[f];
    for (double& m : mean) m /= static_cast<double>(p.n);
    for (int64_t i = 0; i < p.n; ++i)
        for (int f = 0; f < p.d; ++f) m2[f] += (p.row(i)[f] - mean[f]) * (p.row(i)[f] - mean[f]);
    double total = 0;
    for (double v : m2) total += v / static_cast<double>(p.n);
    return tol * total / p.d;
}

Run best_run(const Dataset& p, const Options& o) {
    validate(o);
    if (p.n < 1) throw Error(sqlstate::insufficient_data, "k-means needs at least one point");
    // Before any allocation of k centres or any skipping of k draws, which a
    // huge k would make take minutes outside the interrupt checks.
    if (p.n < o.k)
        throw Error(sqlstate::insufficient_data,
                    "k = " + std::to_string(o.k) + " is more than the " + std::to_string(p.n) + " points of the data",
                    "Choose k of at most " + std::to_string(p.n) + ".");
    const double tol_abs = absolute_tolerance(p, o.tol);
    // Restart r draws the random numbers a sequential run would give it: each
    // seeding draws 1 + (k - 1) * trials of them, so the result does not
    // depend on how the restarts are shared between the threads.
    const unsigned long long draws = 1 + static_cast<unsigned long long>(o.k - 1) * seeding_trials(o.k);
    std::vector<Run> runs(o.n_init);
    std::atomic<int> next{0};
    auto work = [&] {
        for (int r; (r = next++) < o.n_init;) {
            Random rng(o.seed);
            rng.skip(draws * r);
            runs[r] = Lloyd(p, seed_centers(p, o.k, rng), o.k).run(o.max_iter, tol_abs);
        }
    };
    if (o.n_init == 1) {
        work();
        return std::move(runs[0]);
    }
    // A second thread takes restarts too. It never calls PostgreSQL (nor the
    // interrupt hook); the caller's thread checks for interrupts, also while
    // it waits for the other, and on an interrupt or error stops it first.
    std::atomic<bool> stop{false}, helper_done{false};
    std::exception_ptr helper_error;
    std::thread helper([&] {
        stop_flag = &stop;
        try {
            work();
        } catch (const Stopped&) {
        } catch (...) {
            helper_error = std::current_exception();
        }
        helper_done = true;
    });
    struct Joiner {
        std::atomic<bool>& stop;
        std::thread& helper;
        ~Joiner() {
            stop = true;
            helper.join();
        }
    } joiner{stop, helper};
    work();
    while (!helper_done) {
        check_interrupts();
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (helper_error) std::rethrow_exception(helper_error);
    Run best;
    for (Run& run : runs)
        if (run.objective < best.objective) best = std::move(run);
    return best;
}

Model to_model(const Dataset& p, const Scaling& scaling, const Run& run, int k) {
    Model m;
    m.k = k;
    m.d = p.d;
    m.scaling = scaling;
    m.centroids = run.centers;
    m.iterations = run.iterations;
    m.converged = run.converged;
    m.sizes.assign(k, 0);
    for (int label : run.labels) ++m.sizes[label];
    m.objective = run.objective;
    if (scaling.identity()) {
        m.inertia = run.objective;
        return m;
    }
    for (int j = 0; j < k; ++j)
        for (int f = 0; f < p.d; ++f) {
            double& c = m.centroids[static_cast<size_t>(j) * p.d + f];
            c = c * scaling.scale[f] + scaling.mean[f];
        }
    m.inertia = 0;
    for (int64_t i = 0; i < p.n; ++i) {
        const double* x = p.row(i);
        const double* c = run.centers.data() + static_cast<size_t>(run.labels[i]) * p.d;
        double s = 0;
        for (int f = 0; f < p.d; ++f) {
            const double t = (x[f] - c[f]) * scaling.scale[f];
            s += t * t;
        }
        m.inertia += weight_of(p, i) * s;
    }
    return m;
}

}  // namespace

void validate(const Options& o) {
    if (o.k < 1) throw Error(sqlstate::invalid_parameter_value, "k must be at least 1, not " + std::to_string(o.k));
    if (o.n_init < 1)
        throw Error(sqlstate::invalid_parameter_value, "n_init must be at least 1, not " + std::to_string(o.n_init));
    if (o.max_iter < 1)
        throw Error(sqlstate::invalid_parameter_value,
                    "max_iter must be at least 1, not " + std::to_string(o.max_iter));
    if (!(o.tol >= 0) || std::isinf(o.tol))
        throw Error(sqlstate::invalid_parameter_value,
                    "tol must be a finite number of at least 0, not " + std::to_string(o.tol));
}

Scaling standardize(Dataset& p) {
    Scaling s;
    s.mean.assign(p.d, 0);
    s.scale.assign(p.d, 1);
    for (int f = 0; f < p.d; ++f) {
        double weight = 0, mean = 0, m2 = 0;
        for (int64_t i = 0; i < p.n; ++i) {  // West's weighted update
            const double w = weight_of(p, i), x = p.row(i)[f];
            weight += w;
            const double delta = x - mean;
            mean += delta * w / weight;
            m2 += w * delta * (x - mean);
        }
        s.mean[f] = mean;
        const double sd = std::sqrt(m2 / weight);
        if (sd > 0 && std::isfinite(sd)) s.scale[f] = sd;
    }
    apply(s, p);
    return s;
}

void to_fit_space(double* rows, int64_t n, int d, const double* mean, const double* scale) noexcept {
    for (int64_t i = 0; i < n; ++i) {
        double* x = rows + i * d;
        for (int f = 0; f < d; ++f) x[f] = (x[f] - mean[f]) / scale[f];
    }
}

void apply(const Scaling& s, Dataset& p) {
    if (!s.identity()) to_fit_space(p.data, p.n, p.d, s.mean.data(), s.scale.data());
}

Model fit(const Dataset& p, const Scaling& scaling, const Options& o) {
    return to_model(p, scaling, best_run(p, o), o.k);
}

Model refine(const Dataset& p, const Scaling& scaling, std::vector<double> centers, int max_iter, double tol) {
    const int k = static_cast<int>(centers.size() / p.d);
    validate({k, 1, max_iter, tol, 0});
    if (p.n < k) too_few_distinct(k, static_cast<int>(p.n));
    const Run run = Lloyd(p, std::move(centers), k).run(max_iter, absolute_tolerance(p, tol));
    return to_model(p, scaling, run, k);
}

int nearest(const double* x, const double* centroids, int k, int d) noexcept {
    int best_j = 0;
    double best = infinity;
    for (int j = 0; j < k; ++j) {
        const double dd = squared_distance(x, centroids + static_cast<size_t>(j) * d, d);
        if (dd < best) {
            best = dd;
            best_j = j;
        }
    }
    return best_j;
}

int classify(const double* x, const double* centroids, int k, int d, const double* mean, const double* scale,
             double* scratch) noexcept {
    if (!mean) return nearest(x, centroids, k, d);
    for (int f = 0; f < d; ++f) scratch[f] = (x[f] - mean[f]) / scale[f];
    return nearest(scratch, centroids, k, d);
}

std::vector<int> assign(const Dataset& p, const double* centroids, int k) {
    std::vector<int> labels(p.n);
    for (int64_t i = 0; i < p.n; ++i) {
        poll(i);
        labels[i] = nearest(p.row(i), centroids, k, p.d);
    }
    return labels;
}

double silhouette(const Dataset& p, const std::vector<int>& labels, int k, int64_t sample_size, uint64_t seed) {
    // Selection sampling (Knuth's Algorithm S): a deterministic sample in order.
    std::vector<int64_t> rows;
    if (sample_size > 0 && sample_size < p.n) {
        Random rng(seed);
        rows.reserve(sample_size);
        for (int64_t i = 0; i < p.n && static_cast<int64_t>(rows.size()) < sample_size; ++i)
            if (rng.uniform() * static_cast<double>(p.n - i) < static_cast<double>(sample_size - rows.size()))
                rows.push_back(i);
    } else {
        rows.resize(p.n);
        for (int64_t i = 0; i < p.n; ++i) rows[i] = i;
    }
    const int64_t m = static_cast<int64_t>(rows.size());
    std::vector<int64_t> count(k, 0);
    for (int64_t r : rows) ++count[labels[r]];
    if (std::count_if(count.begin(), count.end(), [](int64_t c) { return c > 0; }) < 2)
        return std::numeric_limits<double>::quiet_NaN();

    // Each pair once: distance sums of every sampled point to every cluster.
    std::vector<double> to_cluster(static_cast<size_t>(m) * k, 0.0);
    for (int64_t a = 0; a < m; ++a) {
        check_interrupts();
        const double* x = p.row(rows[a]);
        for (int64_t b = a + 1; b < m; ++b) {
            const double dist = std::sqrt(squared_distance(x, p.row(rows[b]), p.d));
            to_cluster[static_cast<size_t>(a) * k + labels[rows[b]]] += dist;
            to_cluster[static_cast<size_t>(b) * k + labels[rows[a]]] += dist;
        }
    }
    double total = 0;
    for (int64_t a = 0; a < m; ++a) {
        const int own = labels[rows[a]];
        if (count[own] < 2) continue;  // a singleton's coefficient is 0
        const double* sums = to_cluster.data() + static_cast<size_t>(a) * k;
        const double within = sums[own] / static_cast<double>(count[own] - 1);
        double between = infinity;
        for (int j = 0; j < k; ++j)
            if (j != own && count[j] > 0) between = std::min(between, sums[j] / static_cast<double>(count[j]));
        const double denominator = std::max(within, between);
        if (denominator > 0) total += (between - within) / denominator;
    }
    return total / static_cast<double>(m);
}

double simplified_silhouette(const Dataset& p, const std::vector<int>& labels, const double* centroids, int k) {
    if (k < 2) return std::numeric_limits<double>::quiet_NaN();
    double total = 0;
    for (int64_t i = 0; i < p.n; ++i) {
        poll(i);
        double within = 0, between = infinity;
        for (int j = 0; j < k; ++j) {
            const double dist = std::sqrt(squared_distance(p.row(i), centroids + static_cast<size_t>(j) * p.d, p.d));
            if (j == labels[i])
                within = dist;
            else
                between = std::min(between, dist);
        }
        const double denominator = std::max(within, between);
        if (denominator > 0) total += (between - within) / denominator;
    }
    return total / static_cast<double>(p.n);
}

void validate_range(int k_min, int k_max) {
    if (k_min < 1 || k_max < k_min)
        throw Error(sqlstate::invalid_parameter_value,
                    "the k range [" + std::to_string(k_min) + ", " + std::to_string(k_max) + "] is empty or below 1",
                    "Give 1 <= k_min <= k_max.");
}

std::vector<ElbowPoint> elbow(const Dataset& p, int k_min, int k_max, const Options& options,
                              int64_t silhouette_sample) {
    validate_range(k_min, k_max);
    std::vector<ElbowPoint> points;
    for (int k = k_min; k <= k_max; ++k) {
        Options o = options;
        o.k = k;
        const Run run = best_run(p, o);
        points.push_back({k, run.objective, silhouette(p, run.labels, k, silhouette_sample, o.seed),
                          simplified_silhouette(p, run.labels, run.centers.data(), k), false});
    }
    // The knee: on the curve scaled to the unit square, the point farthest
    // below the straight line from its first to its last point.
    const double first = points.front().inertia, last = points.back().inertia;
    if (points.size() >= 3 && first > last) {
        double best = 0;
        ElbowPoint* knee = nullptr;
        for (auto& point : points) {
            const double x = static_cast<double>(point.k - k_min) / (k_max - k_min);
            const double y = (point.inertia - last) / (first - last);
            if (1 - x - y > best) {
                best = 1 - x - y;
                knee = &point;
            }
        }
        if (knee) knee->suggested = true;
    }
    return points;
}

}  // namespace pgcrm::kmeans
