"""The LRE of each coefficient of the exact least-squares solution, in rational
arithmetic, for the NIST StRD data in this folder as doubles (powers of x by
pow, as R and PostgreSQL compute them), floored to a tenth: the most digits
any method can get from these inputs, short of luck. Run: python3 exact_lre.py"""
import math
import os
import re
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))
CERTIFIED = {  # B0 first (none without an intercept)
    "norris": [-0.262323073774029, 1.00211681802045],
    "pontius": [0.673565789473684E-03, 0.732059160401003E-06, -0.316081871345029E-14],
    "noint1": [2.07438016528926],
    "noint2": [0.727272727272727],
    "filip": [-1467.48961422980, -2772.17959193342, -2316.37108160893, -1127.97394098372, -354.478233703349,
              -75.1242017393757, -10.8753180355343, -1.06221498588947, -0.670191154593408E-01,
              -0.246781078275479E-02, -0.402962525080404E-04],
    "longley": [-3482258.63459582, 15.0618722713733, -0.358191792925910E-01, -2.02022980381683, -1.03322686717359,
                -0.511041056535807E-01, 1829.15146461355],
    "wampler1": [1] * 6,
    "wampler2": [1, 0.1, 0.01, 0.001, 0.0001, 0.00001],
    "wampler3": [1] * 6,
    "wampler4": [1] * 6,
    "wampler5": [1] * 6,
}
DEGREE = {"norris": 1, "pontius": 2, "noint1": 1, "noint2": 1, "filip": 10, "longley": 0,
          "wampler1": 5, "wampler2": 5, "wampler3": 5, "wampler4": 5, "wampler5": 5}


def rows(name):
    for line in open(os.path.join(HERE, name + ".inc")):
        if line.startswith("{"):
            yield [float(v) for v in re.sub(r"[{}]|,\s*$", "", line.strip()).split(",")]


def solve(name):
    degree, intercept = DEGREE[name], not name.startswith("noint")
    x, y = [], []
    for r in rows(name):
        row = r[1:] if degree == 0 else [r[1] if k == 1 else math.pow(r[1], k) for k in range(1, degree + 1)]
        x.append([Fraction(1)] * intercept + [Fraction(v) for v in row])
        y.append(Fraction(r[0]))
    m = len(x[0])
    a = [[sum(r[i] * r[j] for r in x) for j in range(m)] + [sum(r[i] * v for r, v in zip(x, y))] for i in range(m)]
    for c in range(m):
        for r in range(c + 1, m):
            f = a[r][c] / a[c][c]
            a[r] = [v - f * w for v, w in zip(a[r], a[c])]
    b = [Fraction(0)] * m
    for c in reversed(range(m)):
        b[c] = (a[c][m] - sum(a[c][k] * b[k] for k in range(c + 1, m))) / a[c][c]
    return b


def lre(estimate, certified):
    c = Fraction(certified)
    error = abs(estimate) if c == 0 else abs(estimate - c) / abs(c)
    return 15.0 if error == 0 else min(15.0, max(0.0, -math.log10(error)))


for name in DEGREE:
    digits = [math.floor(lre(b, c) * 10) / 10 for b, c in zip(solve(name), CERTIFIED[name])]
    print(f"{name:8} {{{', '.join(f'{d:.1f}' for d in digits)}}}")
