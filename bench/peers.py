"""Python peers of nmfkit's benchmark (bench/run.mjs starts this; not meant to be run by hand).

  python3 bench/peers.py probe          -> JSON: versions of numpy / scikit-learn / threadpoolctl, BLAS in use
  python3 bench/peers.py run CONFIG     -> JSON: timings of the numpy MU loop and scikit-learn's MU solver, of
                                           the algorithms part's peers, of whole calls (the time-to-solution
                                           and target parts: "fits"), or of the throughput loop

CONFIG is a JSON file: {"dir", "K", "N", "R", "iterations", "eps", "policy", "peers", "algorithms"?, "fits"?}, or
{"dir", "throughput"}; dir holds V.f64, W0.f64, H0.f64 (and M.f64, the mask, for the masked loop; T.f64, the
throughput's matrices one after another; raw little-endian float64, row-major),
written by bench/run.mjs from the same seeded data every other row uses. The timing policy is
bench/lib/timing.mjs's (probe warm-up, optional full warm-up, clamp(budget / run) repeats, median).
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


def median(values):
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else 0.5 * (ordered[mid - 1] + ordered[mid])


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
    return {
        "iterations": n,
        "warmups": warmups,
        "repeats": repeats,
        "seconds": seconds,
        "secondsPerIteration": median(seconds) / n,
        "minSecondsPerIteration": min(seconds) / n,
    }


def split_fixed(timing, run_once):
    """A call's fixed costs (input checks, the final error) that total / n spreads over the iterations, from 3
    calls of 1 iteration: marginal = (median total - median 1-iteration call) / (n - 1), fixed = 1-iteration call -
    marginal; reported beside total / n."""
    n = timing["iterations"]
    if n < 2:
        return {}
    one = median([run_once(1) for _ in range(3)])
    marginal = max(median(timing["seconds"]) - one, 0.0) / (n - 1)
    return {"marginalSecondsPerIteration": marginal, "fixedSeconds": max(one - marginal, 0.0)}


def timed(fit, n, policy, split=False):
    """measure() of fit(iterations) -> (seconds, W, H), each call from W0/H0; also returns the factors of the
    first n-iteration call, for the check."""
    final = []

    def once(iterations):
        seconds, W, H = fit(iterations)
        if iterations == n and not final:
            final.extend((W, H))
        return seconds

    timing = measure(once, n, policy)
    if split:
        timing.update(split_fixed(timing, once))
    return timing, final[0], final[1]


def numpy_mu(V, W, H, n, eps):
    """libfmp-compatible MU (libfmp's nmf): H first, then W with the new H, eps in both denominators. No change norms."""
    for _ in range(n):
        H = H * (W.T @ V) / (W.T @ W @ H + eps)
        W = W * (V @ H.T) / (W @ (H @ H.T) + eps)
    return W, H


def numpy_masked_mu(V, W, H, n, eps, M):
    """Euclidean MU with weights M (docs/algorithms.md §2-3), in nmfkit's order: H, then W with the new H;
    num = Aᵀ(M⊙V), den = Aᵀ(M⊙WH)."""
    MV = M * V
    for _ in range(n):
        H = H * ((W.T @ MV) / (W.T @ (M * (W @ H)) + eps))
        W = W * ((MV @ H.T) / ((M * (W @ H)) @ H.T + eps))
    return W, H


def objective(V, W, H, beta, eps, M=None):
    """The β-divergence D_β(V | WH; M) exactly as docs/algorithms.md §1 defines it (½‖·‖² for β = 2; WH floored
    at eps for β < 2), the objective nmfkit reports."""
    import numpy as np

    L = W @ H
    if beta < 2:
        L = np.maximum(L, eps)
    if beta == 2:
        d = 0.5 * (V - L) ** 2
    elif beta == 1:
        d = V * np.log(np.where(V > 0, V / L, 1.0)) - V + L
    elif beta == 0:
        d = V / L - np.log(V / L) - 1
    else:
        d = (V**beta + (beta - 1) * L**beta - beta * V * L ** (beta - 1)) / (beta * (beta - 1))
    return float(np.sum(d if M is None else (M * d)[M > 0]))


def sklearn_nmf(R, solver, beta_loss, iterations):
    """scikit-learn's NMF from a custom initialisation, no tolerance: exactly `iterations` iterations."""
    from sklearn.decomposition import NMF

    return NMF(n_components=R, init="custom", solver=solver, beta_loss=beta_loss, tol=0, max_iter=iterations)


def throughput(cfg):
    """scikit-learn's loop over many small matrices: fit_transform per matrix, init='custom' from the same W0/H0
    for every matrix, solver 'mu' (the libfmp-compatible MU's peer), tol 0. Like bench/lib/throughput.mjs:
    `warmPasses` warm-up passes over the first `warm` matrices, then `passes` timed passes over all of them."""
    import numpy as np
    from sklearn.exceptions import ConvergenceWarning

    t = cfg["throughput"]
    count, K, N, R, n = t["count"], t["K"], t["N"], t["R"], t["iterations"]

    def load(name, shape):
        return np.fromfile(os.path.join(cfg["dir"], name), dtype="<f8").reshape(shape)

    matrices, W0, H0 = load("T.f64", (count, K, N)), load("W0.f64", (K, R)), load("H0.f64", (R, N))

    def loop(batch):
        for V in batch:
            model = sklearn_nmf(R, "mu", "frobenius", n)
            model.fit_transform(V, W=W0.copy(), H=H0.copy())
            if model.n_iter_ != n:
                raise RuntimeError(f"scikit-learn ran {model.n_iter_} of {n} iterations")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(t["warmPasses"]):
            loop(matrices[: t["warm"]])
        seconds = []
        for _ in range(t["passes"]):
            t0 = time.perf_counter()
            loop(matrices)
            seconds.append(time.perf_counter() - t0)
    return {"passSeconds": seconds}


def sparse(cfg):
    """The sparse part's peers (bench/lib/sparse.mjs): whole scikit-learn fit_transform calls on one matrix, a
    scipy.sparse CSR (indptr.i32, indices.i32, data.f64, shape) or a dense one (V.f64), from W0/H0, for each
    solver of cfg["solvers"] ('mu' or 'cd'), n iterations, timed with the policy; objective ½‖V − WH‖²_F."""
    import numpy as np
    import scipy.sparse

    t = cfg["sparse"]
    K, N, R, n, policy = t["K"], t["N"], t["R"], t["iterations"], cfg["policy"]

    def load(name, dtype, shape=None):
        a = np.fromfile(os.path.join(cfg["dir"], name), dtype=dtype)
        return a.reshape(shape) if shape else a

    if t["format"] == "csr":
        V = scipy.sparse.csr_matrix((load("data.f64", "<f8"), load("indices.i32", "<i4"), load("indptr.i32", "<i4")), shape=(K, N))
    else:
        V = load("V.f64", "<f8", (K, N))
    W0, H0 = load("W0.f64", "<f8", (K, R)), load("H0.f64", "<f8", (R, N))
    from sklearn.exceptions import ConvergenceWarning

    def row(solver):
        def fit(iterations):
            model = sklearn_nmf(R, solver, "frobenius", iterations)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                t0 = time.perf_counter()
                W = model.fit_transform(V, W=W0.copy(), H=H0.copy())
                seconds = time.perf_counter() - t0
            if model.n_iter_ != iterations:
                raise RuntimeError(f"scikit-learn ran {model.n_iter_} of {iterations} iterations")
            return seconds, W, model.components_

        timing, W, H = timed(fit, n, policy)
        WH = W @ H
        dense = V.toarray() if scipy.sparse.issparse(V) else V
        return {**timing, "objective": 0.5 * float(((dense - WH) ** 2).sum())}

    out = {}
    for solver in t["solvers"]:
        try:
            out[solver] = row(solver)
        except Exception as error:
            out[solver] = {"error": f"{type(error).__name__}: {error}"}
    return out


def online(cfg):
    """The online bench's peers (bench/online.mjs): on a scipy.sparse CSR X (samples × features: indptr.i32,
    indices.i32, data.f64), scikit-learn's batch NMF (solver 'mu') with max_iter 1, 2, 4, … and MiniBatchNMF with
    max_iter 1, 2, 4, … epochs, each a whole fit_transform timed once, until ½‖X − WH‖²_F ≤ target."""
    import numpy as np
    import scipy.sparse
    from sklearn.decomposition import NMF, MiniBatchNMF
    from sklearn.exceptions import ConvergenceWarning

    t = cfg["online"]
    rows, cols, R, target = t["rows"], t["cols"], t["R"], t["target"]

    def load(name, dtype):
        return np.fromfile(os.path.join(cfg["dir"], name), dtype=dtype)

    X = scipy.sparse.csr_matrix((load("data.f64", "<f8"), load("indices.i32", "<i4"), load("indptr.i32", "<i4")), shape=(rows, cols))
    dense = X.toarray()

    def runs(make, limit):
        out = []
        n = 1
        while n <= limit:
            model = make(n)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                t0 = time.perf_counter()
                W = model.fit_transform(X)
                seconds = time.perf_counter() - t0
            objective = 0.5 * float(((dense - W @ model.components_) ** 2).sum())
            out.append({"n": n, "seconds": seconds, "objective": objective})
            if objective <= target:
                break
            n *= 2
        return out

    common = {"n_components": R, "init": t["init"], "random_state": t["seed"], "tol": 0}
    batch = runs(lambda n: NMF(solver="mu", max_iter=n, **common), t["maxIter"])
    minibatch = runs(
        lambda n: MiniBatchNMF(batch_size=t["batchSize"], max_iter=n, max_no_improvement=None, **common), t["maxEpochs"]
    )
    return {"batch": batch, "minibatch": minibatch}


def digits(folder):
    """scikit-learn's bundled load_digits (1797 images of 8×8 pixels, values 0–16) as digits.f64 (1797×64) in folder."""
    from sklearn.datasets import load_digits

    X = load_digits().data.astype("<f8")
    X.tofile(os.path.join(folder, "digits.f64"))
    return {"rows": X.shape[0], "cols": X.shape[1]}


def run(config_path):
    import numpy as np

    with open(config_path) as f:
        cfg = json.load(f)
    if "throughput" in cfg:
        return {"throughput": throughput(cfg)}
    if "sparse" in cfg:
        return {"sparse": sparse(cfg)}
    if "digits" in cfg:
        return {"digits": digits(cfg["dir"])}
    if "online" in cfg:
        return {"online": online(cfg)}
    K, N, R, n, eps, policy = cfg["K"], cfg["N"], cfg["R"], cfg["iterations"], cfg["eps"], cfg["policy"]

    def load(name, shape):
        return np.fromfile(os.path.join(cfg["dir"], name), dtype="<f8").reshape(shape)

    V, W0, H0 = load("V.f64", (K, N)), load("W0.f64", (K, R)), load("H0.f64", (R, N))
    results = {}

    def numpy_fit(loop, *extra, dtype="float64"):
        # In float32 every array, eps included, is float32, so numpy computes in float32.
        cast = [a.astype(dtype) for a in (V, W0, H0, *extra)]
        e = np.dtype(dtype).type(eps)

        def fit(iterations):
            t0 = time.perf_counter()
            W, H = loop(cast[0], cast[1].copy(), cast[2].copy(), iterations, e, *cast[3:])
            return time.perf_counter() - t0, W, H

        return fit

    def sklearn_fit(solver, beta_loss, dtype="float64"):
        from sklearn.exceptions import ConvergenceWarning

        # Given float32 V, W0 and H0, scikit-learn computes in float32 (components_.dtype says so).
        X, Wi, Hi = (a.astype(dtype) for a in (V, W0, H0))

        def fit(iterations):
            model = sklearn_nmf(R, solver, beta_loss, iterations)
            W, H = Wi.copy(), Hi.copy()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                t0 = time.perf_counter()
                W = model.fit_transform(X, W=W, H=H)
                seconds = time.perf_counter() - t0
            if model.n_iter_ != iterations:
                raise RuntimeError(f"scikit-learn ran {model.n_iter_} of {iterations} iterations")
            return seconds, W, model.components_

        return fit

    def guarded(compute):
        try:
            return compute()
        except Exception as error:
            return {"error": f"{type(error).__name__}: {error}"}

    def mu_row(fit, split):
        timing, W, H = timed(fit, n, policy, split)
        return {**timing, "check": {"frobenius": float(np.linalg.norm(V - W @ H))}}

    if "numpy" in cfg["peers"]:
        results["numpy"] = mu_row(numpy_fit(numpy_mu), False)
    if "sklearn" in cfg["peers"]:
        # fit_transform has fixed costs (input checks, the final reconstruction error: one W·H product) that
        # total / n spreads over the iterations: the split is reported beside the main figure (total / n).
        results["sklearn"] = guarded(lambda: mu_row(sklearn_fit("mu", "frobenius"), True))

    # The algorithms part: [{id, beta, solver ('mu', 'cd' or 'numpy-masked'), betaLoss}], scikit-learn's NMF
    # or, for the mask it lacks, the numpy loop above; objective after n iterations as nmfkit defines it.
    def peer_fit(a, dtype="float64"):
        M = load("M.f64", (K, N)) if a["solver"] == "numpy-masked" else None
        if M is not None:
            return numpy_fit(numpy_masked_mu, M, dtype=dtype), M
        return sklearn_fit(a["solver"], a["betaLoss"], dtype), None

    def algorithm_row(a):
        fit, M = peer_fit(a)
        timing, W, H = timed(fit, n, policy, True)
        return {**timing, "objective": objective(V, W, H, a["beta"], eps, M)}

    if cfg.get("algorithms"):
        results["algorithms"] = {a["id"]: guarded(lambda a=a: algorithm_row(a)) for a in cfg["algorithms"]}

    # Whole calls (the time-to-solution and target parts): [{id, beta, solver, betaLoss, dtype, iterations}], each
    # timed with the policy over whole calls of its own iteration count; the objective (in float64, from the
    # returned factors) and the dtype the peer computed in (scikit-learn's components_.dtype).
    def fit_row(a):
        fit, M = peer_fit(a, a["dtype"])
        timing, W, H = timed(fit, a["iterations"], policy)
        W64, H64 = W.astype("float64"), H.astype("float64")
        return {**timing, "objective": objective(V, W64, H64, a["beta"], eps, M), "computedDtype": str(H.dtype)}

    if cfg.get("fits"):
        results["fits"] = {a["id"]: guarded(lambda a=a: fit_row(a)) for a in cfg["fits"]}

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
