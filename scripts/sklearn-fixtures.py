#!/usr/bin/python3
"""scikit-learn's numbers for test/sklearn/test_nmf.test.ts, the translation of scikit-learn 1.2's
sklearn/decomposition/tests/test_nmf.py (test/sklearn/README.md lists the tests and their counterparts).

Writes test/fixtures/sklearn-suite/test_nmf.json: every matrix a translated test uses, made with the numpy
RandomState calls of the scikit-learn test itself (so the data are scikit-learn's), and what scikit-learn computes
where the translation compares numbers:

- betaDivergence: sklearn.decomposition._nmf._beta_divergence and the test's _beta_divergence_dense of X, W, H
  for each β of test_beta_divergence;
- underflow: _beta_divergence with X[0, 0] = 0 and with X[0, 0] = 1e-323 (test_nmf_underflow);
- muContinuity: W and H after 20 MU iterations from W0, H0 for each β of test_nmf_multiplicative_update_sparse
  and for β − 1e-5 (scikit-learn's own gap between the two is stored as information);
- cdTrajectory: solver 'cd' from W0, H0 of test_nmf_decreasing, one iteration at a time as that test runs it, with
  and without its penalties: W and H after every iteration;
- float32: how far apart W of fit_transform in float32 and float64 are, and after how many iterations scikit-learn
  stopped (test_nmf_float32_float64_consistency); and the relative
  Frobenius distance between float32 and float64 'cd' runs of 100 and 500 iterations from the same init on a dense
  150×120 product of rank 10.

Orientation: scikit-learn's X (n_samples × n_features) ≈ W·H is nmfkit's V for nmf / nmfSync (the same W and H);
the NMF estimator takes samples as columns, V = Xᵀ.

    /usr/bin/python3 scripts/sklearn-fixtures.py
"""
import json
import os
import warnings

import numpy as np
import sklearn
from sklearn.decomposition import NMF, non_negative_factorization
from sklearn.decomposition import _nmf as nmf

warnings.filterwarnings('ignore')

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'sklearn-suite', 'test_nmf.json')


def matrix(a):
    a = np.asarray(a, dtype=np.float64)
    return {'rows': int(a.shape[0]), 'cols': int(a.shape[1]), 'data': [float(x) for x in a.ravel()]}


def beta_divergence_dense(X, W, H, beta):
    """test_nmf.py's _beta_divergence_dense, verbatim."""
    WH = np.dot(W, H)
    if beta == 2:
        return np.sum((X - WH) ** 2) / 2
    WH_Xnonzero = WH[X != 0]
    X_nonzero = X[X != 0]
    np.maximum(WH_Xnonzero, 1e-9, out=WH_Xnonzero)
    if beta == 1:
        res = np.sum(X_nonzero * np.log(X_nonzero / WH_Xnonzero))
        res += WH.sum() - X.sum()
    elif beta == 0:
        div = X_nonzero / WH_Xnonzero
        res = np.sum(div) - X.size - np.sum(np.log(div))
    else:
        res = (X_nonzero**beta).sum()
        res += (beta - 1) * (WH**beta).sum()
        res -= beta * (X_nonzero * (WH_Xnonzero ** (beta - 1))).sum()
        res /= beta * (beta - 1)
    return float(res)


def main():
    out = {'sklearnVersion': sklearn.__version__, 'data': {}}
    data = out['data']

    # test_initialize_nn_output, test_initialize_close, test_initialize_variants
    data['abs10x10'] = matrix(np.abs(np.random.mtrand.RandomState(42).randn(10, 10)))
    # test_nmf_fit_close, test_nmf_transform, test_nmf_regularization
    data['abs6x5'] = matrix(np.abs(np.random.mtrand.RandomState(42).randn(6, 5)))

    # test_nmf_true_reconstruction
    rng = np.random.mtrand.RandomState(42)
    W_true = np.zeros([15, 5])
    W_array = np.abs(rng.randn(15))
    for j in range(5):
        W_true[j % 15, j] = W_array[j % 15]
    H_true = np.zeros([5, 10])
    H_array = np.abs(rng.randn(5))
    for j in range(10):
        H_true[j % 5, j] = H_array[j % 5]
    data['trueReconstruction'] = matrix(W_true @ H_true)

    # test_nmf_transform_custom_init
    rs = np.random.RandomState(0)
    A = np.abs(rs.randn(6, 5))
    avg = np.sqrt(A.mean() / 4)
    H_init = np.abs(avg * rs.randn(4, 5))
    W_init = np.abs(avg * rs.randn(6, 4))
    out['customInit'] = {'X': matrix(A), 'W': matrix(W_init), 'H': matrix(H_init)}

    # test_nmf_inverse_transform
    data['inverse6x4'] = matrix(np.abs(np.random.RandomState(0).randn(6, 4)))
    # test_n_components_greater_n_features
    data['abs30x10'] = matrix(np.abs(np.random.mtrand.RandomState(42).randn(30, 10)))
    # test_nmf_sparse_transform, as a dense matrix
    A = np.abs(np.random.mtrand.RandomState(42).randn(3, 2))
    A[1, 1] = 0
    data['sparseTransform3x2'] = matrix(A)
    # test_non_negative_factorization_consistency, test_nmf_sparse_input (dense)
    A = np.abs(np.random.mtrand.RandomState(42).randn(10, 10))
    A[:, 2 * np.arange(5)] = 0
    data['zeroColumns10x10'] = matrix(A)

    # test_beta_divergence
    rng = np.random.mtrand.RandomState(42)
    X = rng.randn(20, 10)
    np.clip(X, 0, None, out=X)
    W, H = nmf._initialize_nmf(X, 5, init='random', random_state=42)
    out['betaDivergence'] = {
        'X': matrix(X),
        'W': matrix(W),
        'H': matrix(H),
        'cases': [
            {'beta': beta, 'sklearn': float(nmf._beta_divergence(X, W, H, beta)), 'dense': beta_divergence_dense(X, W, H, beta)}
            for beta in [0.0, 0.5, 1.0, 1.5, 2.0, 3.0]
        ],
    }

    # test_nmf_underflow
    rng = np.random.RandomState(0)
    X = np.abs(rng.randn(10, 2)) * 10
    W = np.abs(rng.randn(10, 2)) * 10
    H = np.abs(rng.randn(2, 2))
    X[0, 0] = 0
    ref = float(nmf._beta_divergence(X, W, H, beta=1.0))
    X[0, 0] = 1e-323
    res = float(nmf._beta_divergence(X, W, H, beta=1.0))
    X[0, 0] = 0
    out['underflow'] = {'X': matrix(X), 'W': matrix(W), 'H': matrix(H), 'zero': ref, 'tiny': res}

    # test_nmf_multiplicative_update_sparse (dense X): continuity in β with penalties
    rng = np.random.mtrand.RandomState(1337)
    X = np.abs(rng.randn(20, 10))
    W0, H0 = nmf._initialize_nmf(X, 5, init='random', random_state=42)
    cases = []
    for beta in (-1.2, 0, 0.2, 1.0, 2.0, 2.5):
        run = {}
        for b in (beta, beta - 1e-5):
            W, H, _ = non_negative_factorization(
                X, W0.copy(), H0.copy(), 5, init='custom', update_H=True, solver='mu', beta_loss=b,
                max_iter=20, alpha_W=0.1, l1_ratio=0.5, random_state=42)
            run[b] = (W, H)
        (W1, H1), (W3, H3) = run[beta], run[beta - 1e-5]
        cases.append({'beta': beta, 'sklearnGap': float(max(np.abs(W1 - W3).max(), np.abs(H1 - H3).max()))})
    out['muContinuity'] = {'X': matrix(X), 'W0': matrix(W0), 'H0': matrix(H0), 'alpha': 0.1, 'l1Ratio': 0.5,
                           'iterations': 20, 'cases': cases}

    # test_nmf_negative_beta_loss
    X = np.random.mtrand.RandomState(42).randn(6, 5)
    np.clip(X, 0, None, out=X)
    data['clipped6x5'] = matrix(X)

    # test_nmf_decreasing: X, W0, H0, and the 'cd' trajectory one iteration at a time
    rng = np.random.mtrand.RandomState(42)
    X = np.abs(rng.randn(20, 15))
    W0, H0 = nmf._initialize_nmf(X, 10, init='random', random_state=42)
    trajectories = []
    for alpha in (0.1, 0.0):
        W, H = W0.copy(), H0.copy()
        steps = []
        for _ in range(30):
            W, H, _ = non_negative_factorization(
                X, W, H, beta_loss=2, init='custom', n_components=10, max_iter=1, alpha_W=alpha, solver='cd',
                tol=0.0, l1_ratio=0.5, verbose=0, random_state=0, update_H=True)
            steps.append({'W': matrix(W), 'H': matrix(H)})
        trajectories.append({'alpha': alpha, 'l1Ratio': 0.5, 'steps': steps})
    out['decreasing'] = {'X': matrix(X), 'W0': matrix(W0), 'H0': matrix(H0), 'cdTrajectories': trajectories}

    # test_nmf_dtype_match
    data['abs20x15'] = matrix(np.abs(np.random.RandomState(0).randn(20, 15)))

    # test_nmf_float32_float64_consistency
    X = np.abs(np.random.RandomState(0).randn(50, 7))
    consistency = {'X': matrix(X), 'solvers': {}}
    for solver in ('cd', 'mu'):
        W32 = NMF(random_state=0, tol=1e-3, solver=solver).fit_transform(X.astype(np.float32))
        W64 = NMF(random_state=0, tol=1e-3, solver=solver).fit_transform(X)
        m32 = NMF(random_state=0, tol=1e-3, solver=solver).fit(X.astype(np.float32))
        consistency['solvers'][solver] = {'maxAbs': float(np.abs(W32.astype(np.float64) - W64).max()),
                                          'iterations': int(m32.n_iter_)}
    # Equal iterations from the same init, float32 against float64, on a dense product of rank 10.
    rs = np.random.RandomState(7)
    V = rs.rand(150, 10) @ rs.rand(10, 120)
    W0 = rs.rand(150, 10)
    H0 = rs.rand(10, 120)
    consistency['dense'] = {'V': matrix(V), 'W0': matrix(W0), 'H0': matrix(H0), 'cases': []}
    for iterations in (100, 500):
        runs = {}
        for dt in (np.float64, np.float32):
            W, H, _ = non_negative_factorization(
                V.astype(dt), W=W0.astype(dt).copy(), H=H0.astype(dt).copy(), n_components=10, init='custom',
                solver='cd', max_iter=iterations, tol=0)
            runs[dt] = (W.astype(np.float64), H.astype(np.float64))
        (W64, H64), (W32, H32) = runs[np.float64], runs[np.float32]
        consistency['dense']['cases'].append({
            'iterations': iterations,
            'W': float(np.linalg.norm(W32 - W64) / np.linalg.norm(W64)),
            'H': float(np.linalg.norm(H32 - H64) / np.linalg.norm(H64)),
        })
    out['float32'] = consistency

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as f:
        json.dump(out, f)
        f.write('\n')
    print('wrote', os.path.relpath(OUT, ROOT))


if __name__ == '__main__':
    main()
