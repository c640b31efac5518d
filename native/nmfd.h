// NMFD, convolutive NMF with T-frame templates and the Kullback–Leibler divergence (Smaragdis 2004), in the
// update order of libnmfd's `nmfd` (docs/algorithms.md §13). The kernels of one iteration, on raw float64 arrays;
// fit.cc owns the state and calls them. assembly/nmfd.ts is the same program in AssemblyScript: the same
// functions in the same order.
//
// W holds the templates as T stacked K×R matrices (W_t = W + t·K·R), H is R×N, and the model is
// Λ = Σ_t W_t · shift(H, t), where shift(H, t) moves H's columns t to the right and fills zeros in front.
#pragma once

#include <cstddef>

#include "team.h"

namespace nmf {

// The sizes of an NMFD fit: K×N V, R components, T frames per template (1 ≤ T ≤ N).
struct NmfdSizes {
  std::size_t K;
  std::size_t N;
  std::size_t R;
  std::size_t T;
};

// The buffers of an NMFD iteration (fit.cc lays them out in its arena).
struct NmfdBuffers {
  const double* V;  // K×N, the scaled target V / (eps + ΣV)
  double* W;        // T×K×R templates
  double* H;        // R×N activations
  double* L;        // K×N: Λ, then the ratio Q = V / Λ
  double* numW;     // K×R: Q · shift(H, t)ᵀ
  double* multH;    // R×N: the H update's accumulated ratio
  double* WtQ;      // R×N: W_tᵀ · shift(Q, −t)
  double* oldW;     // T×K×R: W before the iteration (its change norm)
  double* sums;     // R
};

// V ← V / (eps + ΣV) and H ← H / (eps + ΣV): libnmfd fits the scaled target. Returns the scale eps + ΣV.
double nmfdScale(double* V, double* H, const NmfdSizes& z, double eps);

// L = Σ_t W_t · shift(H, t) + eps, by rows over the team.
void nmfdModel(Team& team, const double* W, const double* H, double* L, const NmfdSizes& z, double eps);

// Σ v·log(v/λ) − v + λ over V and L = Λ (0·log 0 = 0): the generalised KL divergence of the scaled target.
double nmfdDivergence(Team& team, const double* V, const double* L, std::size_t count);

// sqrt Σ (v − (λ − eps))² over V and L = Λ: ‖V − model‖_F of the scaled target.
double nmfdResidualNorm(Team& team, const double* V, const double* L, std::size_t count, double eps);

// One iteration: Λ and Q = V / (Λ + eps) from the current factors; for t = 0 … T − 1, W_t ← W_t ⊙ (Q·shift(H, t)ᵀ)
// / (1·shift(H, t)ᵀ + eps) unless W is fixed, and the H ratio accumulated from the new W_t as
// (W_tᵀ·shift(Q, −t)) / (W_tᵀ·1 + eps); then H ← H ⊙ ratio / T unless H is fixed; then every template is scaled
// to unit sum (over k and t) by 1 / (eps + sum), fixed or not. Writes ‖ΔH‖_F and ‖ΔW‖_F.
void nmfdIterate(Team& team, const NmfdBuffers& b, const NmfdSizes& z, double eps, bool updateW, bool updateH,
                 double* hChange, double* wChange);

}  // namespace nmf
