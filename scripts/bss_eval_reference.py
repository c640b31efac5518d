#!/usr/bin/python3
"""Reference values of BSS-Eval v3 (bss_eval_sources) and SI-SDR for nmfkit-audio's bssEvalSources and siSdr.

Written for this project from the definitions, in numpy/scipy, independently of the TypeScript:

* BSS-Eval v3, sources (Vincent, Gribonval & Févotte, "Performance measurement in blind audio source
  separation", IEEE TASLP 14(4), 2006, Sect. III.B, with time-invariant distortion filters of L = 512 taps, as the
  BSS_EVAL 3.0 toolbox and mir_eval.separation.bss_eval_sources). For an estimate ŝ and reference j, with all
  signals zero-padded to N + L − 1 samples:
    s_target = projection of ŝ onto the span of s_j delayed by 0 … L − 1 samples,
    P_all    = projection of ŝ onto the span of every reference delayed by 0 … L − 1 samples,
    e_interf = P_all − s_target,   e_artif = ŝ − P_all,
    SDR = 10 log10(‖s_target‖² / ‖e_interf + e_artif‖²),   SIR = 10 log10(‖s_target‖² / ‖e_interf‖²),
    SAR = 10 log10(‖s_target + e_interf‖² / ‖e_artif‖²).
  The projections solve the normal equations G c = d, G the Gram matrix of the delayed references (block
  Toeplitz, built from their cross-correlations) and d their correlations with ŝ, by LU with partial pivoting
  (numpy.linalg.solve); the projected signal is Σ_i c_i * s_i (full convolutions). Every estimate is scored
  against every reference, and the estimates are matched to the references by the permutation of largest mean
  SIR (the first one, in lexicographic order, when several tie).
* SI-SDR (Le Roux, Wisdom, Erdogan & Hershey, "SDR – half-baked or well done?", ICASSP 2019), without removing
  the means: α = ⟨ŝ, s⟩ / ‖s‖², SI-SDR = 10 log10(‖α s‖² / ‖α s − ŝ‖²).

Usage:
    python3 scripts/bss_eval_reference.py            # writes packages/nmfkit-audio/test/fixtures/bss-eval/
    python3 scripts/bss_eval_reference.py --mir-eval DIR
        # scores mir_eval's regression data (DIR = mir_eval's tests/data/separation: refNN/, estNN/,
        # outputNN.json) and prints the largest deviation from its published "Sources" values

The fixtures (README.md beside them says what each holds): for every case a float32 WAV of the references and one
of the estimates (one channel per source), and cases.json with the values computed here from exactly those
float32 samples (an infinite ratio, SIR of a single source, is written as null). The real cases are excerpts of the shipped recording piano-scale.wav and of its rendered C5 stem
(scripts/render-stems.mjs): the references are the stem and the recording minus the stem; the estimates come from
scipy's STFT with masks computed here. Regenerate with the command above (numpy and scipy; deterministic).
"""

import itertools
import json
import os
import sys

import numpy as np
import scipy.io.wavfile
import scipy.linalg
import scipy.signal

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "packages", "nmfkit-audio", "examples", "data")
OUT = os.path.join(ROOT, "packages", "nmfkit-audio", "test", "fixtures", "bss-eval")
FILTER = 512


def correlation(x_spectrum, y_spectrum, nfft, taps):
    """c(k) = Σ_t x(t + k) y(t) for k = −(taps − 1) … taps − 1, from the spectra of zero-padded x and y."""
    c = np.fft.irfft(x_spectrum * np.conj(y_spectrum), nfft)
    return np.concatenate((c[nfft - taps + 1 :], c[:taps]))  # index taps − 1 + k holds lag k


def project(references, spectra, estimate_spectrum, nfft, chosen, taps):
    """The least-squares projection of the estimate onto the delayed references `chosen` (length N + taps − 1)."""
    n = references.shape[1]
    m = len(chosen)
    gram = np.empty((m * taps, m * taps))
    for a, i in enumerate(chosen):
        for b, j in enumerate(chosen):
            # ⟨s_i(· − p), s_j(· − q)⟩ = Σ_u s_j(u + p − q) s_i(u) = c_ji(p − q)
            c = correlation(spectra[j], spectra[i], nfft, taps)
            column = c[taps - 1 :]  # lags 0 … taps − 1  (p ≥ q)
            row = c[taps - 1 :: -1]  # lags 0 … −(taps − 1)  (q ≥ p)
            gram[a * taps : (a + 1) * taps, b * taps : (b + 1) * taps] = scipy.linalg.toeplitz(column, row)
    rhs = np.empty(m * taps)
    for a, i in enumerate(chosen):
        # ⟨s_i(· − p), ŝ⟩ = Σ_u ŝ(u + p) s_i(u)
        rhs[a * taps : (a + 1) * taps] = correlation(estimate_spectrum, spectra[i], nfft, taps)[taps - 1 :]
    try:
        coefficients = np.linalg.solve(gram, rhs)
    except np.linalg.LinAlgError:
        coefficients = np.linalg.lstsq(gram, rhs, rcond=None)[0]
    out = np.zeros(n + taps - 1)
    for a, i in enumerate(chosen):
        out += scipy.signal.fftconvolve(coefficients[a * taps : (a + 1) * taps], references[i])
    return out


def db(num, den):
    return float("inf") if den == 0 else 10 * np.log10(num / den)


def bss_eval_sources(references, estimates, taps=FILTER):
    """SDR, SIR, SAR (per reference) and the matched estimate of each reference: see the module comment."""
    references = np.asarray(references, dtype=np.float64)
    estimates = np.asarray(estimates, dtype=np.float64)
    k, n = references.shape
    nfft = 1 << int(np.ceil(np.log2(n + taps - 1)))
    spectra = [np.fft.rfft(r, nfft) for r in references]
    scores = np.empty((3, k, k))  # [measure, estimate, reference]
    for e in range(k):
        estimate = estimates[e]
        estimate_spectrum = np.fft.rfft(estimate, nfft)
        padded = np.concatenate((estimate, np.zeros(taps - 1)))
        p_all = project(references, spectra, estimate_spectrum, nfft, list(range(k)), taps)
        for j in range(k):
            target = project(references, spectra, estimate_spectrum, nfft, [j], taps)
            interference = p_all - target
            artifacts = padded - p_all
            energy = np.sum(target**2)
            scores[0, e, j] = db(energy, np.sum((interference + artifacts) ** 2))
            scores[1, e, j] = db(energy, np.sum(interference**2))
            scores[2, e, j] = db(np.sum(p_all**2), np.sum(artifacts**2))
    best = None
    best_mean = -np.inf
    for perm in itertools.permutations(range(k)):
        mean = np.mean([scores[1, perm[j], j] for j in range(k)])
        if mean > best_mean:
            best, best_mean = perm, mean
    pick = lambda m: [float(scores[m, best[j], j]) for j in range(k)]
    return {"sdr": pick(0), "sir": pick(1), "sar": pick(2), "permutation": list(best)}


def si_sdr(reference, estimate):
    reference = np.asarray(reference, dtype=np.float64)
    estimate = np.asarray(estimate, dtype=np.float64)
    alpha = np.dot(estimate, reference) / np.dot(reference, reference)
    target = alpha * reference
    return db(np.sum(target**2), np.sum((target - estimate) ** 2))


def read_pcm16(path):
    rate, data = scipy.io.wavfile.read(path)
    assert data.dtype == np.int16 and data.ndim == 1, path
    return rate, data.astype(np.float64) / 32768


def write_f32(path, signals, rate):
    scipy.io.wavfile.write(path, rate, np.asarray(signals, dtype=np.float32).T.copy())


def stft_masks(mixture, parts, rate, power=1.0):
    """Estimates from masks |P_i|^power / Σ|P|^power of the parts' STFTs applied to the mixture (scipy STFT)."""
    args = dict(fs=rate, window="hann", nperseg=1024, noverlap=768)
    _, _, x = scipy.signal.stft(mixture, **args)
    mags = [np.abs(scipy.signal.stft(p, **args)[2]) ** power for p in parts]
    total = sum(mags) + 1e-12
    out = []
    for m in mags:
        _, y = scipy.signal.istft(x * m / total, **args)
        out.append(y[: len(mixture)])
    return out


def cases():
    rng = np.random.default_rng(20240611)
    rate = 8000
    out = []

    # Synthetic: decaying harmonic tones and noise; estimates with filtering, interference and artifacts.
    n = 3000
    t = np.arange(n) / rate
    s1 = np.sin(2 * np.pi * 220 * t) * np.exp(-2 * t) + 0.3 * np.sin(2 * np.pi * 660 * t)
    s2 = rng.standard_normal(n) * 0.2
    s3 = np.sign(np.sin(2 * np.pi * 97 * t)) * 0.4
    h = np.array([0.9, 0.25, -0.1, 0.05])
    e1 = np.convolve(s1, h)[:n] + 0.2 * s2 + 0.01 * rng.standard_normal(n)
    e2 = 0.8 * s2 + 0.3 * s1 + 0.05 * rng.standard_normal(n)
    out.append(("synthetic-2", rate, [s1, s2], [e1, e2], "two sources: filtered target + interference + noise"))
    out.append(("synthetic-2-swapped", rate, [s1, s2], [e2, e1], "the same estimates in the other order"))
    e3 = 0.5 * s3 + 0.1 * s1 + 0.1 * np.roll(s3, 700) + 0.02 * rng.standard_normal(n)
    out.append(
        (
            "synthetic-3",
            rate,
            [s1, s2, s3],
            [e2 + 0.2 * s3, e3, e1],
            "three sources, estimates permuted; one with an echo longer than the filter",
        )
    )
    out.append(("synthetic-1", rate, [s1], [e1], "one source"))
    # Filtering only (a delay inside the 512 taps): no interference, tiny artifacts.
    e4 = np.concatenate((np.zeros(37), s1[: n - 37])) * 0.7 + 1e-4 * rng.standard_normal(n)
    out.append(("synthetic-delay", rate, [s1, s2], [e4, e2], "a delayed, scaled target: SAR high, SIR from the other"))

    # Real: the C5 stem vs the rest of the recording, an excerpt with the F–A–C chord (C5 over C4's octave).
    rate_r, mixture = read_pcm16(os.path.join(DATA, "piano-scale.wav"))
    _, stem = read_pcm16(os.path.join(DATA, "piano-scale.C5.wav"))
    start = int(8.4 * rate_r)
    length = 8192
    c5 = stem[start : start + length]
    mix = mixture[start : start + length]
    rest = mix - c5
    irm = stft_masks(mix, [c5, rest], rate_r, power=1.0)
    out.append(("piano-c5-ratio-mask", rate_r, [c5, rest], irm, "C5 vs the rest, F–A–C chord: ratio mask of the true magnitudes"))
    # A poorer estimate: the parts' magnitudes blurred across frequency before masking.
    blur_args = dict(fs=rate_r, window="hann", nperseg=1024, noverlap=768)
    _, _, xm = scipy.signal.stft(mix, **blur_args)
    mags = [np.abs(scipy.signal.stft(p, **blur_args)[2]) for p in (c5, rest)]
    kernel = np.ones((9, 1)) / 9
    mags = [scipy.signal.convolve2d(m, kernel, mode="same") for m in mags]
    total = mags[0] + mags[1] + 1e-12
    poor = [scipy.signal.istft(xm * m / total, **blur_args)[1][:length] for m in mags]
    out.append(("piano-c5-blurred-mask", rate_r, [c5, rest], poor, "the same with masks blurred over 9 bins"))
    return out


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--mir-eval":
        return check_mir_eval(sys.argv[2])
    os.makedirs(OUT, exist_ok=True)
    results = []
    for name, rate, refs, ests, what in cases():
        # The piano cases share their references.
        ref_name = "piano-c5" if name.startswith("piano") else name
        write_f32(os.path.join(OUT, f"{ref_name}.ref.wav"), refs, rate)
        write_f32(os.path.join(OUT, f"{name}.est.wav"), ests, rate)
        # The values are those of the float32 samples just written.
        refs32 = np.asarray(refs, dtype=np.float32).astype(np.float64)
        ests32 = np.asarray(ests, dtype=np.float32).astype(np.float64)
        scores = bss_eval_sources(refs32, ests32)
        scores["siSdr"] = [si_sdr(refs32[j], ests32[scores["permutation"][j]]) for j in range(len(refs))]
        scores = {k: [None if v == float("inf") else v for v in vs] if k != "permutation" else vs for k, vs in scores.items()}
        results.append(
            {"name": name, "what": what, "references": f"{ref_name}.ref.wav", "estimates": f"{name}.est.wav", "sources": len(refs), "samples": refs32.shape[1], **scores}
        )
        print(name, json.dumps({k: scores[k] for k in ("sdr", "sir", "sar", "permutation", "siSdr")}))
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump(
            {
                "generator": "scripts/bss_eval_reference.py (numpy %s, scipy %s)" % (np.__version__, scipy.__version__),
                "filterLength": FILTER,
                "cases": results,
            },
            f,
            indent=1,
        )
        f.write("\n")


def check_mir_eval(folder):
    """Scores mir_eval's regression data and prints the largest deviation from its published values."""
    worst = 0.0
    for out in sorted(f for f in os.listdir(folder) if f.startswith("output") and f.endswith(".json")):
        number = out[len("output") : -len(".json")]

        def stack(kind):
            d = os.path.join(folder, kind + number)
            signals = []
            for f in sorted(os.listdir(d)):
                _, x = scipy.io.wavfile.read(os.path.join(d, f))
                if x.ndim > 1:
                    return np.zeros((1, x.size))  # multichannel: skipped by the caller
                signals.append(x.astype(np.float64) / 32768)
            return np.vstack(signals)

        expected = json.load(open(os.path.join(folder, out))).get("Sources")
        refs = stack("ref")
        if expected is None or not refs.any():
            print(f"output{number}: multichannel (images), not a bss_eval_sources case")
            continue
        got = bss_eval_sources(refs, stack("est"))
        deviation = max(
            max(abs(a - b) for a, b in zip(got[k], expected[name]))
            for k, name in (("sdr", "Source to Distortion"), ("sir", "Source to Interference"), ("sar", "Source to Artifact"))
        )
        same = got["permutation"] == list(expected["Source permutation"])
        worst = max(worst, deviation)
        print(f"output{number}: largest deviation {deviation:.2e} dB, permutation {'same' if same else 'DIFFERENT'}")
    print(f"largest deviation over all: {worst:.2e} dB")


if __name__ == "__main__":
    main()
