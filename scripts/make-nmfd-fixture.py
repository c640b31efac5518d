#!/usr/bin/python3
"""Reference numbers for nmfkit's NMFD from libnmfd's own `nmfd` (libnmfd/core/nmfconv.py).

Usage: scripts/make-nmfd-fixture.py PATH/TO/libnmfd-checkout  (git clone https://github.com/groupmm/libnmfd)

libnmfd is not installed (it needs soundfile and tqdm, and pip is not used here): its nmfconv.py is loaded from
the checkout with those two imports and its sibling modules replaced by stand-ins for what `nmfd` uses (EPS = 2^-52
from libnmfd/utils/__init__.py, read from the checkout too; tnrange = range). The NMFD computation itself is
libnmfd's code, run unchanged.

Writes test/fixtures/libnmfd/nmfd.json: for each case, V, the initial templates (R matrices K×T) and activations,
the fix flags and the iteration count, and libnmfd's results: the templates, H (on its scaled target
V / (EPS + ΣV)) and the per-component reconstructions. And packages/nmfkit-audio/test/fixtures/libnmfd-init.json:
libnmfd's `init_templates(strategy='pitched')` and `init_activations(strategy='pitched' | 'drums')` (its NEMA
filter loaded from libnmfd/dsp/filters.py) on inputs inside the ranges where libnmfd indexes as intended (bands
below the top bin, no frame 0).
"""
import json
import sys
import types
from pathlib import Path

import numpy as np

root = Path(sys.argv[1])
# libnmfd's 'drums' activations use np.int, an alias numpy 1.24 removed: restored for its code.
if not hasattr(np, 'int'):
    np.int = int


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
filters_src = (root / 'libnmfd/dsp/filters.py').read_text().replace('from libnmfd.utils import EPS', 'EPS = 2.0 ** -52')
filters_ns = {}
exec(compile(filters_src, 'libnmfd/dsp/filters.py', 'exec'), filters_ns)
stub('libnmfd.dsp.filters', nema=filters_ns['nema'])
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

pitches = [60, 64, 67, 60, 72]
templates = nmfconv.init_templates(num_comp=len(pitches), num_bins=1025, num_template_frames=3, strategy='pitched',
                                   pitches=np.array(pitches), num_harmonics=12, block_size=2048, fs=44100)
notes = [(60, 0.30, 0.40), (64, 0.80, 0.25), (67, 1.10, 0.50), (60, 1.50, 0.45), (72, 0.62, 0.30)]
time_res = 512 / 22050
pitched_H = nmfconv.init_activations(num_comp=4, num_frames=100, strategy='pitched', time_res=time_res,
                                     pitches=np.array([n[0] for n in notes]), onsets=[n[1] for n in notes],
                                     durations=[n[2] for n in notes])
hits = [(1, 0.10), (2, 0.35), (3, 0.35), (1, 0.61), (3, 0.85), (2, 1.27)]
drums_H = nmfconv.init_activations(num_comp=3, num_frames=80, strategy='drums', time_res=time_res, decay=0.8,
                                   drums=np.array([h[0] for h in hits]), onsets=np.array([h[1] for h in hits]))
init_out = Path(__file__).resolve().parent.parent / 'packages/nmfkit-audio/test/fixtures/libnmfd-init.json'
init_out.write_text(json.dumps({
    'source': 'libnmfd/core/nmfconv.py init_templates and init_activations, run by scripts/make-nmfd-fixture.py',
    'pitchedTemplates': {'pitches': pitches, 'sampleRate': 44100, 'nFft': 2048, 'templateFrames': 3, 'harmonics': 12,
                         'templates': [np.asarray(t).tolist() for t in templates]},
    'pitchedActivations': {'notes': [{'pitch': p, 'onset': o, 'offset': o + d} for p, o, d in notes], 'frames': 100,
                           'timeResolution': time_res, 'H': pitched_H.tolist()},
    'drumActivations': {'hits': [{'drum': d - 1, 'time': t} for d, t in hits], 'drums': 3, 'frames': 80,
                        'timeResolution': time_res, 'decay': 0.8, 'H': drums_H.tolist()},
}))
print('wrote', init_out)
