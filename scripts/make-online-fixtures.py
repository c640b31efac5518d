#!/usr/bin/python3
"""Reference runs of scikit-learn's MiniBatchNMF for nmfkit's online solver (test/online/).

Writes test/fixtures/online/minibatch.json: small dense problems V (K×N, samples are columns; scikit-learn's X is
Vᵀ) with initial factors W0 (K×R, scikit-learn's components_ᵀ) and H0 (R×N, its W0ᵀ), and for each case:

- `fit`: MiniBatchNMF(init='custom', ...).fit_transform(Vᵀ, W=H0ᵀ, H=W0ᵀ): the final components (nmfkit's W), the
  activations (nmfkit's H), n_iter_, n_steps_ and the batch cost of every step (scikit-learn's `batch_cost`,
  recorded by wrapping `_minibatch_step`), and `transform` of a second matrix V2;
- `partial`: partial_fit over the given chunks of columns, starting from W0 (init='custom'): W and the batch cost
  after each chunk.

Run with Debian's scikit-learn 1.2: /usr/bin/python3 scripts/make-online-fixtures.py
"""
import json
import os
import warnings

import numpy as np
import sklearn
from sklearn.decomposition import MiniBatchNMF
from sklearn.exceptions import ConvergenceWarning

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'online', 'minibatch.json')


def matrix(a):
    a = np.asarray(a, dtype=np.float64)
    return {'rows': int(a.shape[0]), 'cols': int(a.shape[1]), 'data': [float(x) for x in a.ravel()]}


def recording(model):
    """Records scikit-learn's batch cost of every minibatch step of `model`."""
    costs = []
    step = model._minibatch_step

    def wrapped(*args, **kwargs):
        cost = step(*args, **kwargs)
        costs.append(float(cost))
        return cost

    model._minibatch_step = wrapped
    return costs


def estimator(case, rank):
    return MiniBatchNMF(
        n_components=rank,
        init='custom',
        beta_loss=case['loss'],
        batch_size=case['batchSize'],
        forget_factor=case['forgetFactor'],
        fresh_restarts=case['freshRestarts'],
        fresh_restarts_max_iter=case['freshRestartsMaxIter'],
        max_no_improvement=case['maxNoImprovement'],
        tol=case['tol'],
        max_iter=case['maxIter'],
        alpha_W=case['alphaActivations'],
        alpha_H=0.0,
        l1_ratio=case['l1Ratio'],
    )


def run_fit(case, V, W0, H0, V2):
    model = estimator(case, W0.shape[1])
    costs = recording(model)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', ConvergenceWarning)
        activations = model.fit_transform(V.T.copy(), W=H0.T.copy(), H=W0.T.copy())
    return {
        'W': matrix(model.components_.T),
        'H': matrix(activations.T),
        'nIter': int(model.n_iter_),
        'nSteps': int(model.n_steps_),
        'costs': costs,
        'transform': matrix(model.transform(V2.T.copy()).T),
    }


def run_partial(case, V, W0, chunks):
    model = estimator(case, W0.shape[1])
    costs = recording(model)
    steps = []
    start = 0
    for size in chunks:
        X = V[:, start : start + size].T.copy()
        # init='custom' checks a W of the chunk's shape; only H (W0ᵀ) is used.
        model.partial_fit(X, W=np.ones((size, W0.shape[1])), H=W0.T.copy())
        steps.append({'W': matrix(model.components_.T), 'cost': costs[-1]})
        start += size
    return steps


def main():
    rng = np.random.RandomState(7)
    K, N, R = 12, 50, 3
    V = rng.rand(K, R) @ rng.rand(R, N) + 0.05 * rng.rand(K, N)
    V2 = rng.rand(K, R) @ rng.rand(R, 9) + 0.05 * rng.rand(K, 9)
    W0 = rng.rand(K, R) + 0.1
    H0 = rng.rand(R, N) + 0.1
    base = {
        'batchSize': 16,
        'forgetFactor': 0.7,
        'freshRestarts': False,
        'freshRestartsMaxIter': 30,
        'maxNoImprovement': 10,
        'tol': 1e-4,
        'maxIter': 4,
        'alphaActivations': 0.0,
        'l1Ratio': 0.0,
    }
    cases = []
    for loss in ['frobenius', 'kullback-leibler']:
        for fresh in [False, True]:
            cases.append({**base, 'name': f'{loss} fresh {fresh}', 'loss': loss, 'freshRestarts': fresh})
    cases.append({**base, 'name': 'frobenius penalised', 'loss': 'frobenius', 'alphaActivations': 0.01, 'l1Ratio': 0.5})
    cases.append({**base, 'name': 'frobenius tol 0', 'loss': 'frobenius', 'tol': 0.0, 'batchSize': 7, 'forgetFactor': 0.5})
    cases.append({**base, 'name': 'kullback-leibler long', 'loss': 'kullback-leibler', 'maxIter': 60, 'tol': 1e-3})
    cases.append({**base, 'name': 'frobenius long', 'loss': 'frobenius', 'maxIter': 60, 'maxNoImprovement': 3})
    chunks = [20, 20, 10]
    for case in cases:
        case['fit'] = run_fit(case, V, W0, H0, V2)
        case['partial'] = run_partial(case, V, W0, chunks)
    out = {
        'sklearn': sklearn.__version__,
        'V': matrix(V),
        'V2': matrix(V2),
        'W0': matrix(W0),
        'H0': matrix(H0),
        'chunks': chunks,
        'cases': cases,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as f:
        json.dump(out, f)
        f.write('\n')


if __name__ == '__main__':
    main()
