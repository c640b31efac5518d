"""Python peers of nmfkit's benchmark (bench/run.mjs starts this; not meant to be run by hand).

  python3 bench/peers.py probe          -> JSON: versions of numpy / scikit-learn / threadpoolctl, BLAS in use
  python3 bench/peers.py run CONFIG     -> JSON: timings of the numpy MU loop and scikit-learn's MU solver

CONFIG is a JSON file: {"dir", "K", "N", "R", "iterations", "eps", "policy", "peers"}; dir holds V.f64, W0.f64,
H0.f64 (raw little-endian float64, row-major), written by bench/run.mjs from the same seeded data every other row
uses. The timing policy is bench/lib/timing.mjs's (probe warm-up, optional full warm-up, clamp(budget / run)
repeats, median).
"""
import contextlib
import io
import json
import os
import sys
import time
import warnings


def blas_info():
    """What BLAS numpy really runs on: threadpoolctl if present, else numpy.show_config's text."""
    try:
        import numpy  # noqa: F401  (threadpoolctl only sees libraries that are loaded)
        from threadpoolctl import threadpool_info, __version__ as tpc_version

        return {"source": "threadpoolctl " + tpc_version, "libraries": threadpool_info()}
    except Exception:
        pass
    try:
        import numpy

        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            numpy.show_config()
        return {"source": "numpy.show_config", "text": buffer.getvalue()}
    except Exception as error:  # pragma: no cover
        return {"source": "none", "error": str(error)}


def probe():
    out = {"python": sys.version.split()[0], "executable": sys.executable}
    try:
        import numpy

        out["numpy"] = numpy.__version__
    except Exception as error:
        out["numpy_error"] = f"{type(error).__name__}: {error}"
    try:
        import sklearn

        out["sklearn"] = sklearn.__version__
    except Exception as error:
        out["sklearn_error"] = f"{type(error).__name__}: {error}"
    try:
        import threadpoolctl

        out["threadpoolctl"] = threadpoolctl.__version__
    except Exception:
        pass
    if "numpy" in out:
        out["blas"] = blas_info()
    out["env"] = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    return out


def measure(run_once, n, policy):
    """bench/lib/timing.mjs's measure(), in Python."""
    probe_iterations = max(1, -(-n // 10))
    predicted = run_once(probe_iterations) / probe_iterations * n
    warmups = 1
    if predicted < policy["fullWarmupLimit"]:
        predicted = run_once(n)
        warmups = 2
    repeats = min(policy["maxRepeats"], max(policy["minRepeats"], int(policy["budget"] // max(predicted, 1e-9))))
    seconds = [run_once(n) for _ in range(repeats)]
    ordered = sorted(seconds)
    mid = len(ordered) // 2
    med = ordered[mid] if len(ordered) % 2 else 0.5 * (ordered[mid - 1] + ordered[mid])
    return {
        "iterations": n,
        "warmups": warmups,
        "repeats": repeats,
        "seconds": seconds,
        "secondsPerIteration": med / n,
        "minSecondsPerIteration": min(seconds) / n,
    }


def numpy_mu(V, W, H, n, eps):
    """The seed's loop (libfmp nmf): H first, then W with the new H, eps in both denominators. No change norms."""
    for _ in range(n):
        H = H * (W.T @ V) / (W.T @ W @ H + eps)
        W = W * (V @ H.T) / (W @ (H @ H.T) + eps)
    return W, H


def run(config_path):
    import numpy as np

    with open(config_path) as f:
        cfg = json.load(f)
    K, N, R, n, eps, policy = cfg["K"], cfg["N"], cfg["R"], cfg["iterations"], cfg["eps"], cfg["policy"]

    def load(name, shape):
        return np.fromfile(os.path.join(cfg["dir"], name), dtype="<f8").reshape(shape)

    V, W0, H0 = load("V.f64", (K, N)), load("W0.f64", (K, R)), load("H0.f64", (R, N))
    results = {}

    if "numpy" in cfg["peers"]:
        check = {}

        def numpy_once(iterations):
            W, H = W0.copy(), H0.copy()
            t0 = time.perf_counter()
            W, H = numpy_mu(V, W, H, iterations, eps)
            seconds = time.perf_counter() - t0
            if iterations == n and not check:
                check["frobenius"] = float(np.linalg.norm(V - W @ H))
            return seconds

        results["numpy"] = {**measure(numpy_once, n, policy), "check": check}

    if "sklearn" in cfg["peers"]:
        try:
            from sklearn.decomposition import NMF
            from sklearn.exceptions import ConvergenceWarning
        except Exception as error:
            results["sklearn"] = {"error": f"{type(error).__name__}: {error}"}
        else:
            check = {}

            def sklearn_once(iterations):
                model = NMF(n_components=R, init="custom", solver="mu", beta_loss="frobenius", tol=0, max_iter=iterations)
                W, H = W0.copy(), H0.copy()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    t0 = time.perf_counter()
                    W = model.fit_transform(V, W=W, H=H)
                    seconds = time.perf_counter() - t0
                if model.n_iter_ != iterations:
                    raise RuntimeError(f"scikit-learn ran {model.n_iter_} of {iterations} iterations")
                if iterations == n and not check:
                    check["frobenius"] = float(np.linalg.norm(V - W @ model.components_))
                    check["reconstructionErr"] = float(model.reconstruction_err_)
                return seconds

            timing = measure(sklearn_once, n, policy)
            # fit_transform has fixed costs (input checks, the final reconstruction error: one W·H product) that
            # total / n spreads over the iterations. Their estimate: the marginal cost of an iteration from
            # max_iter = 1 runs, reported beside the main figure (which stays total / n).
            if n > 1:
                ones = sorted(sklearn_once(1) for _ in range(3))
                total = sorted(timing["seconds"])[len(timing["seconds"]) // 2]
                marginal = max(total - ones[1], 0.0) / (n - 1)
                timing["marginalSecondsPerIteration"] = marginal
                timing["fixedSeconds"] = max(ones[1] - marginal, 0.0)
            results["sklearn"] = {**timing, "check": check}

    return results


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "probe":
        print(json.dumps(probe()))
    elif len(sys.argv) >= 3 and sys.argv[1] == "run":
        print(json.dumps(run(sys.argv[2])))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
