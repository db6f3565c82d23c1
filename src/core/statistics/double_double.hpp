// Double-double arithmetic: a number is the unevaluated sum hi + lo of two
// doubles, about 32 significant digits. Built on the error-free
// transformations (Knuth's two-sum, Dekker's split product), which are exact
// in IEEE double arithmetic without overflow, underflow or contraction into
// fused multiply-adds (-std=c++17 turns contraction off in GCC).
#pragma once

#include <cmath>

namespace pgcrm::statistics {

struct DoubleDouble {
    double hi = 0, lo = 0;
    DoubleDouble() = default;
    DoubleDouble(double v) : hi(v) {}  // NOLINT: exact, so implicit
    DoubleDouble(double h, double l) : hi(h), lo(l) {}
};

// a + b exactly, as the rounded sum and its error.
inline DoubleDouble two_sum(double a, double b) {
    const double s = a + b, v = s - a;
    return {s, (a - (s - v)) + (b - v)};
}

// The same when |a| ≥ |b| (or a = 0).
inline DoubleDouble fast_two_sum(double a, double b) {
    const double s = a + b;
    return {s, b - (s - a)};
}

// a = high + low with high holding the upper 26 bits, so that products of
// halves are exact.
struct Split {
    double high, low;
    Split() = default;  // uninitialised: arrays of splits are filled before use
    explicit Split(double a) {
        const double c = 134217729.0 * a;  // 2^27 + 1
        high = c - (c - a);
        low = a - high;
    }
};

// a · b exactly, as the rounded product and its error.
inline DoubleDouble two_product(double a, const Split& sa, double b, const Split& sb) {
    const double p = a * b;
    return {p, ((sa.high * sb.high - p) + sa.high * sb.low + sa.low * sb.high) + sa.low * sb.low};
}

inline DoubleDouble two_product(double a, double b) { return two_product(a, Split(a), b, Split(b)); }

// The canonical form (|lo| ≤ half an ulp of hi) of a pair accumulated loosely.
inline DoubleDouble normalized(DoubleDouble a) { return two_sum(a.hi, a.lo); }

inline DoubleDouble operator+(DoubleDouble a, DoubleDouble b) {
    DoubleDouble s = two_sum(a.hi, b.hi);
    const DoubleDouble t = two_sum(a.lo, b.lo);
    s = fast_two_sum(s.hi, s.lo + t.hi);
    return fast_two_sum(s.hi, s.lo + t.lo);
}

inline DoubleDouble operator-(DoubleDouble a) { return {-a.hi, -a.lo}; }
inline DoubleDouble operator-(DoubleDouble a, DoubleDouble b) { return a + -b; }

inline DoubleDouble operator*(DoubleDouble a, DoubleDouble b) {
    DoubleDouble p = two_product(a.hi, b.hi);
    return fast_two_sum(p.hi, p.lo + (a.hi * b.lo + a.lo * b.hi));
}

inline DoubleDouble operator/(DoubleDouble a, DoubleDouble b) {
    const double q1 = a.hi / b.hi;
    const DoubleDouble r = a - b * q1;
    const double q2 = r.hi / b.hi;
    const DoubleDouble r2 = r - b * q2;
    return fast_two_sum(q1, q2) + r2.hi / b.hi;
}

inline DoubleDouble& operator+=(DoubleDouble& a, DoubleDouble b) { return a = a + b; }
inline DoubleDouble& operator-=(DoubleDouble& a, DoubleDouble b) { return a = a - b; }

// One Newton step from the double square root; 0 for a ≤ 0.
inline DoubleDouble sqrt(DoubleDouble a) {
    if (!(a.hi > 0)) return 0.0;
    const double x = std::sqrt(a.hi);
    return fast_two_sum(x, (a - two_product(x, x)).hi / (2 * x));
}

inline double to_double(DoubleDouble a) { return a.hi + a.lo; }

}  // namespace pgcrm::statistics
