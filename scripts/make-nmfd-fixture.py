#!/usr/bin/python3
"""Reference numbers for nmfkit's NMFD from libnmfd's own `nmfd` (libnmfd/core/nmfconv.py).

Usage: scripts/make-nmfd-fixture.py PATH/TO/libnmfd-checkout  (git clone https://github.com/groupmm/libnmfd)

libnmfd is not installed (it needs soundfile and tqdm, and pip is not used here): its nmfconv.py is loaded from
the checkout with those two imports and its sibling modules replaced by stand-ins for what `nmfd` uses (EPS = 2^-52
from libnmfd/utils/__init__.py, read from the checkout too; tnrange = range). The NMFD computation itself is
libnmfd's code, run unchanged.

Writes test/fixtures/libnmfd/nmfd.json: for each case, V, the initial templates (R matrices K×T) and activations,
the fix flags and the iteration count, and libnmfd's results: the templates, H (on its scaled target
V / (EPS + ΣV)) and the per-component reconstructions.
"""
import json
import sys
import types
from pathlib import Path

import numpy as np

root = Path(sys.argv[1])


def stub(name, **attrs):
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    sys.modules[name] = module
    return module


utils_ns = {}
exec(compile((root / 'libnmfd/utils/__init__.py').read_text(), 'libnmfd/utils/__init__.py', 'exec'), utils_ns)
stub('soundfile')
stub('tqdm', tnrange=lambda n, **_: range(n))
stub('libnmfd')
stub('libnmfd.dsp')
stub('libnmfd.dsp.filters', nema=None)
stub('libnmfd.dsp.transforms', forward_stft=None)
stub('libnmfd.utils', EPS=utils_ns['EPS'], midi2freq=utils_ns['midi2freq'], make_monaural=utils_ns['make_monaural'])
nmfconv = types.ModuleType('nmfconv')
exec(compile((root / 'libnmfd/core/nmfconv.py').read_text(), 'libnmfd/core/nmfconv.py', 'exec'), nmfconv.__dict__)

rng = np.random.default_rng(17)


def case(name, K, N, R, T, iterations, fix_W=False, fix_H=False, sparse=False):
    V = rng.gamma(0.5, 1.0, (K, N))
    if sparse:
        V[rng.random((K, N)) < 0.3] = 0.0
    W0 = [rng.random((K, T)) for _ in range(R)]
    W0 = [w / (utils_ns['EPS'] + w.sum()) for w in W0]
    H0 = rng.random((R, N)) + 0.1
    W, H, parts, cost, _ = nmfconv.nmfd(V, num_comp=R, num_frames=N, num_iter=iterations, num_template_frames=T,
                                       init_W=[w.copy() for w in W0], init_H=H0.copy(), fix_W=fix_W, fix_H=fix_H)
    return {
        'name': name, 'K': K, 'N': N, 'R': R, 'T': T, 'iterations': iterations, 'fixW': fix_W, 'fixH': fix_H,
        'V': V.tolist(), 'W0': [w.tolist() for w in W0], 'H0': H0.tolist(),
        'scale': float(utils_ns['EPS'] + V.sum()),
        'W': [np.asarray(w).tolist() for w in W], 'H': H.tolist(), 'parts': [p.tolist() for p in parts],
    }


cases = [
    case('gamma-12x30-r3-t4', 12, 30, 3, 4, 25),
    case('sparse-9x17-r2-t1', 9, 17, 2, 1, 20, sparse=True),
    case('gamma-10x24-r2-t6-fixW', 10, 24, 2, 6, 15, fix_W=True),
    case('gamma-8x20-r3-t3-fixH', 8, 20, 3, 3, 15, fix_H=True),
]
out = Path(__file__).resolve().parent.parent / 'test/fixtures/libnmfd/nmfd.json'
out.write_text(json.dumps({'source': 'libnmfd/core/nmfconv.py nmfd, run by scripts/make-nmfd-fixture.py', 'cases': cases}))
print('wrote', out)
