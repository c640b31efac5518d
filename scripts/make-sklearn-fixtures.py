#!/usr/bin/python3
"""Reference numbers from scikit-learn for nmfkit's β-divergence MU and HALS.

Writes test/fixtures/sklearn/<matrix>.json: for each matrix, its V (or where to read it), the initial factors
W0/H0 and, for each case (solver, loss, regularization, iteration count n), the objective that
sklearn.decomposition.NMF reaches after exactly n iterations from W0/H0:

    NMF(n_components=R, init='custom', solver='mu' | 'cd', beta_loss=..., max_iter=n, tol=0,
        alpha_W=a, alpha_H=a, l1_ratio=r).fit_transform(V, W=W0, H=H0)

Note: scikit-learn updates W before H in every iteration (both in 'mu' and in 'cd'); nmfkit updates H first,
then W (libfmp's order). The trajectories therefore differ slightly; the tests compare the quality reached
(nmfkit's objective within 0.5 % of scikit-learn's, or better), not the factors. scikit-learn's MU also clamps
entries below float64 eps to 0 after each update for β < 1 (W) and β ≤ 1 (H), and replaces zeros of WH by
float32 eps instead of nmfkit's floor max(WH, eps): other small differences of the same kind.

Each case also stores `objectiveHThenW`: scikit-learn's own update functions (_multiplicative_update_h/_w,
_update_coordinate_descent) called in nmfkit's order, H first. That pins the formulas (γ(β), the penalties, the
products) to scikit-learn's: the reference matches it to ~1e-9 or better (test/sklearn-reference.test.ts). It is
null for KL with an L2 penalty, where nmfkit takes the exact MM step instead of scikit-learn's heuristic.

The quality check is per instance: before convergence the ratio at a fixed n scatters by about ±1 % between random
instances. The gamma instance (numpy seed 3, of three tried) and the iteration counts are ones where both orders
are close to converged.

The objective is nmfkit's (docs/algorithms.md §1), evaluated here in float64 on scikit-learn's final factors:

    F = D_β(V | WH) + l1W‖W‖₁ + ½ l2W‖W‖²_F + l1H‖H‖₁ + ½ l2H‖H‖²_F,
    D_2 = ½‖V − WH‖²_F,   D_1 = Σ V log(V/Λ) − V + Λ,   D_0 = Σ V/Λ − log(V/Λ) − 1,
    D_β = Σ (V^β + (β−1)Λ^β − β V Λ^(β−1)) / (β(β−1)),   Λ = max(WH, 2^-23) for β < 2,

with scikit-learn's regularization mapped as it maps it internally (_compute_regularization):
l1W = N·alpha_W·l1_ratio, l2W = N·alpha_W·(1 − l1_ratio), l1H = K·alpha_H·l1_ratio, l2H = K·alpha_H·(1 − l1_ratio).
(scikit-learn's own _beta_divergence, stored as `sklearnBetaDivergence` for information, skips entries of V below
float32 eps, which is why it is not used as the reference value.)

Run with Debian's scikit-learn (apt-get install -y python3-numpy python3-sklearn):

    /usr/bin/python3 scripts/make-sklearn-fixtures.py

The environment may set OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (see the machine docs); they change speed, not these
numbers beyond rounding, and are left as they are.
"""
import hashlib
import json
import os
import sys
import warnings

import numpy as np
import sklearn
from sklearn.decomposition import NMF
from sklearn.decomposition._nmf import (
    _beta_divergence,
    _initialize_nmf,
    _multiplicative_update_h,
    _multiplicative_update_w,
    _update_coordinate_descent,
)
from sklearn.exceptions import ConvergenceWarning

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'sklearn')
LIBFMP_FIXTURES = os.path.join(ROOT, 'test', 'fixtures', 'libfmp-mu')
EPS = 2.0 ** -23

LOSSES = {'frobenius': 2.0, 'kullback-leibler': 1.0, 'itakura-saito': 0.0}


def beta_of(loss):
    return LOSSES[loss] if isinstance(loss, str) else float(loss)


def divergence(V, W, H, beta):
    L = W @ H
    if beta == 2:
        return 0.5 * float(np.sum((V - L) ** 2))
    L = np.maximum(L, EPS)
    if beta == 1:
        with np.errstate(divide='ignore', invalid='ignore'):
            t = np.where(V > 0, V * np.log(V / L), 0.0)
        return float(np.sum(t - V + L))
    if beta == 0:
        return float(np.sum(V / L - np.log(V / L) - 1))
    return float(np.sum((V ** beta + (beta - 1) * L ** beta - beta * V * L ** (beta - 1)) / (beta * (beta - 1))))


def regularization(K, N, alpha, l1_ratio):
    return {
        'l1W': N * alpha * l1_ratio,
        'l2W': N * alpha * (1.0 - l1_ratio),
        'l1H': K * alpha * l1_ratio,
        'l2H': K * alpha * (1.0 - l1_ratio),
    }


def objective(V, W, H, beta, reg):
    return (divergence(V, W, H, beta)
            + reg['l1W'] * float(W.sum()) + 0.5 * reg['l2W'] * float(np.sum(W * W))
            + reg['l1H'] * float(H.sum()) + 0.5 * reg['l2H'] * float(np.sum(H * H)))


def run(V, W0, H0, solver, loss, n, alpha, l1_ratio):
    model = NMF(n_components=W0.shape[1], init='custom', solver=solver, beta_loss=loss, max_iter=n, tol=0,
                alpha_W=alpha, alpha_H=alpha, l1_ratio=l1_ratio)
    W = model.fit_transform(V, W=W0.copy(), H=H0.copy())
    assert model.n_iter_ == n, (solver, loss, n, model.n_iter_)
    return W, model.components_, model


def run_h_then_w(V, W0, H0, solver, beta, n, reg):
    """scikit-learn's own update functions, called in nmfkit's order (H first, then W with the new H)."""
    W = W0.copy()
    H = H0.copy()
    if solver == 'cd':
        Ht = np.ascontiguousarray(H.T)
        rng = np.random.RandomState(0)  # unused: shuffle=False
        for _ in range(n):
            _update_coordinate_descent(V.T, Ht, W, reg['l1H'], reg['l2H'], False, rng)
            _update_coordinate_descent(V, W, Ht, reg['l1W'], reg['l2W'], False, rng)
        return W, Ht.T
    gamma = 1.0 / (2.0 - beta) if beta < 1 else (1.0 / (beta - 1.0) if beta > 2 else 1.0)
    eps64 = np.finfo(np.float64).eps
    for _ in range(n):
        H = _multiplicative_update_h(V, W, H, beta, reg['l1H'], reg['l2H'], gamma)
        if beta <= 1:
            H[H < eps64] = 0.0
        W, *_ = _multiplicative_update_w(V, W, H, beta, reg['l1W'], reg['l2W'], gamma)
        if beta < 1:
            W[W < eps64] = 0.0
    return W, H


def cases_for(V, W0, H0, plan):
    K, N = V.shape
    out = []
    for solver, loss, iterations, alpha, l1_ratio in plan:
        beta = beta_of(loss)
        reg = regularization(K, N, alpha, l1_ratio)
        for n in iterations:
            W, H, model = run(V, W0, H0, solver, loss, n, alpha, l1_ratio)
            # nmfkit's KL update with an L2 penalty is the exact MM step, not scikit-learn's heuristic: no
            # same-order reference for it.
            same_order = None
            if not (beta == 1 and solver == 'mu' and reg['l2W'] + reg['l2H'] > 0):
                Wh, Hh = run_h_then_w(V, W0, H0, solver, beta, n, reg)
                same_order = objective(V, Wh, Hh, beta, reg)
            out.append({
                'solver': solver,
                'betaLoss': loss,
                'beta': beta,
                'alpha': alpha,
                'l1Ratio': l1_ratio,
                **reg,
                'iterations': n,
                'initialObjective': objective(V, W0, H0, beta, reg),
                'objective': objective(V, W, H, beta, reg),
                'objectiveHThenW': same_order,
                'sklearnBetaDivergence': float(_beta_divergence(V, W, H, beta)),
                'sklearnReconstructionErr': float(model.reconstruction_err_),
            })
            print(f"  {solver:2} {str(loss):17} alpha={alpha:<5} l1_ratio={l1_ratio:<4} n={n:5}  "
                  f"F={out[-1]['objective']:.10g}  H-then-W: {same_order}", file=sys.stderr)
    return out


def matrix(a):
    return {'rows': int(a.shape[0]), 'cols': int(a.shape[1]), 'data': [float(x) for x in a.ravel()]}


def checksum(a):
    return hashlib.sha256(np.ascontiguousarray(a, dtype='<f8').tobytes()).hexdigest()


def header(name, description):
    return {
        'name': name,
        'description': description,
        'generator': 'scripts/make-sklearn-fixtures.py',
        'sklearnVersion': sklearn.__version__,
        'numpyVersion': np.__version__,
        'note': 'scikit-learn updates W before H; nmfkit updates H before W. Compare objectives, not factors.',
        'eps': EPS,
    }


MU_LOSSES = ['kullback-leibler', 'itakura-saito', 0.5, 3.0]


def gamma_fixture():
    # A 30×40 rank-4 nonnegative product with sparse-ish Gamma(0.5) factors, an offset and multiplicative
    # Gamma(10, 0.1) noise (mean 1): strictly positive (IS needs V > 0) and the kind of data β-divergences are for.
    # W0, H0 = |N(0,1)|·√(mean(V)/R) from the same generator.
    rng = np.random.default_rng(3)
    K, N, R = 30, 40, 4
    Wt = rng.gamma(0.5, 1.0, (K, R))
    Ht = rng.gamma(0.5, 1.0, (R, N))
    V = (Wt @ Ht + 0.05) * rng.gamma(10.0, 0.1, (K, N))
    scale = np.sqrt(V.mean() / R)
    W0 = np.abs(rng.standard_normal((K, R))) * scale
    H0 = np.abs(rng.standard_normal((R, N))) * scale
    plan = [('mu', loss, [200, 500], 0.0, 0.0) for loss in MU_LOSSES + ['frobenius']]
    plan += [('cd', 'frobenius', [50, 200], 0.0, 0.0)]
    # Regularized: pure L1 for MU/KL; the L1 + L2 mix (l1_ratio 0.5) for MU/KL, MU/Frobenius and CD.
    plan += [('mu', 'kullback-leibler', [500], 0.01, 1.0), ('mu', 'kullback-leibler', [500], 0.01, 0.5),
             ('mu', 'frobenius', [500], 0.01, 0.5), ('cd', 'frobenius', [200], 0.01, 0.5)]
    print('gamma-30x40-r4', file=sys.stderr)
    data = header('gamma-30x40-r4', '(W*H* + 0.05) ⊙ Gamma(10, 0.1) noise, W*, H* ~ Gamma(0.5, 1), 30×40, rank 4; '
                  'W0, H0 = |N(0,1)|·sqrt(mean(V)/R) (numpy default_rng(3))')
    data.update({'rank': R, 'V': matrix(V), 'W0': matrix(W0), 'H0': matrix(H0), 'cases': cases_for(V, W0, H0, plan)})
    # scikit-learn's NNDSVD and NNDSVDa of V (its randomized SVD, random_state=0): a cross-check of src/init.
    data['inits'] = {}
    for init in ('nndsvd', 'nndsvda'):
        Wi, Hi = _initialize_nmf(V, R, init=init, random_state=0)
        data['inits'][init] = {'W': matrix(Wi), 'H': matrix(Hi)}
    return data


def spectrogram_fixture():
    # V is the libfmp fixture's synthetic spectrogram (read from test/fixtures/libfmp-mu);
    # W0, H0 are that fixture's U[0,1) factors scaled by √(mean(V)/R).
    name = 'spectrogram-129x80-r4'
    seed = json.load(open(os.path.join(LIBFMP_FIXTURES, name + '.json')))
    inp = seed['input']
    V = np.array(inp['V']['data'], dtype=np.float64).reshape(inp['V']['rows'], inp['V']['cols'])
    R = inp['rank']
    scale = np.sqrt(V.mean() / R)
    W0 = np.array(inp['W0']['data']).reshape(inp['W0']['rows'], R) * scale
    H0 = np.array(inp['H0']['data']).reshape(R, inp['H0']['cols']) * scale
    plan = [('mu', loss, [100], 0.0, 0.0) for loss in MU_LOSSES]
    plan += [('cd', 'frobenius', [1000], 0.0, 0.0)]
    print(name, file=sys.stderr)
    data = header(name, "the libfmp fixture's synthetic harmonic spectrogram; W0, H0 = the libfmp fixture's W0, H0 · sqrt(mean(V)/R)")
    data.update({
        'rank': R,
        'V': {'seedFixture': name, 'rows': int(V.shape[0]), 'cols': int(V.shape[1]), 'sha256': checksum(V)},
        'W0': matrix(W0),
        'H0': matrix(H0),
        'cases': cases_for(V, W0, H0, plan),
    })
    return data


def main():
    warnings.filterwarnings('ignore', category=ConvergenceWarning)
    os.makedirs(OUT, exist_ok=True)
    for data in (gamma_fixture(), spectrogram_fixture()):
        path = os.path.join(OUT, data['name'] + '.json')
        with open(path, 'w') as f:
            json.dump(data, f, indent=1)
            f.write('\n')
        print('wrote', os.path.relpath(path, ROOT), file=sys.stderr)


if __name__ == '__main__':
    main()
