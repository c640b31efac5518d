"""Fixtures of the chunk readers of `nmfkit factorize --online` (packages/nmfkit-audio/test/fixtures/stream/),
written by numpy and scipy so the readers are checked against files they did not write:

  v.npy              a 6×11 float64 V ≥ 0 with zeros (C order), the reference every other file holds
  v-fortran.npy      the same V in Fortran order
  vt-int16.npy       Vᵀ rounded ×100 as int16 (samples in rows)
  v.mtx              V as scipy.io.mmwrite writes a CSC matrix: coordinate real general, entries by column
  v-pattern.mtx      V's pattern (coordinate pattern general), by column
  vt-integer.mtx     Vᵀ ×100 rounded, coordinate integer, entries by row (samples in rows)
  v.csv              V as numpy.savetxt writes it, one feature per line

Run: python3 scripts/make-stream-fixtures.py
"""
import os
import numpy as np
import scipy.io
import scipy.sparse as sp

out = os.path.join(os.path.dirname(__file__), '..', 'packages', 'nmfkit-audio', 'test', 'fixtures', 'stream')
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)
V = rng.random((6, 11)) * (rng.random((6, 11)) < 0.6)
np.save(os.path.join(out, 'v.npy'), V)
np.save(os.path.join(out, 'v-fortran.npy'), np.asfortranarray(V))
VT100 = np.round(V.T * 100)
np.save(os.path.join(out, 'vt-int16.npy'), VT100.astype('<i2'))
scipy.io.mmwrite(os.path.join(out, 'v.mtx'), sp.csc_matrix(V), precision=17)
scipy.io.mmwrite(os.path.join(out, 'v-pattern.mtx'), sp.csc_matrix(V), field='pattern')
# Entries by row: a CSR matrix's coo order.
scipy.io.mmwrite(os.path.join(out, 'vt-integer.mtx'), sp.csr_matrix(VT100.astype(np.int64)), field='integer')
np.savetxt(os.path.join(out, 'v.csv'), V, delimiter=',', fmt='%.17g')
