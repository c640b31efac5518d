// One fit: its state, the three solvers, the run loop and finish. assembly/fit.ts is the same program in
// AssemblyScript: the same state, the same functions in the same order (docs/kernels.md pairs them).
//
// The state holds the resolved specification and one pointer per buffer; every buffer lives in one 64-byte
// aligned arena laid out by attach, so iterating never allocates. The products an iteration forms are tracked by
// "fresh" flags (this factor has not changed since the product was formed), so that none is formed twice: the
// Euclidean checkpoint's WᵀW of the new W is the next H half-step's Gram; a factor that is never updated keeps
// its products (WᵀV and WᵀW, or VHᵀ and HHᵀ) for the whole fit. A product formed again from the same factor has
// the same bits, so the flags change the cost, never the results. MU β (the ratio form) keeps no K×N product: it
// forms Λ = W·H, P and Q for a block of rows at a time, wherever it needs them.
//
// In this backend a fit runs on a team of spec.threads threads (team.h): the products and updates over V, W and
// H are split between them by blocks (team-kernels.h), each block computed as the whole would be.
#include "fit.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "arena.h"
#include "blas.h"
#include "nmfd.h"
#include "products.h"
#include "sparse-products.h"
#include "spectral.h"
#include "team-kernels.h"
#include "team.h"
#include "updates.h"

namespace nmf {

namespace {

// ---------------------------------------------------------------------------------------------------------------
// State.

// The arena's parts, in order. kSums and kWide exist in this backend only: the team members' partial sums of the
// ratio form's H products, and float32 change Grams widened to float64 in chunks (products.h); the AssemblyScript
// kernels run on one thread and widen lane by lane instead.
enum Part {
  kV,         // T K×N (becomes E = V − W·H in finish)
  kW,         // T K×R
  kH,         // T R×N
  kDH,        // T R×N: the change H − H_old (scratch of the explicit Gram-form objective and of formResidual)
  kNumH,      // T R×N: WᵀV or WᵀP (fused: accumulated by the sweep for the next iteration)
  kDenH,      // T R×N: (WᵀW)H or WᵀQ (HALS: the sweep's scratch row)
  kDW,        // T B×R (B = blockRows, or K): the change W − W_old
  kNumW,      // T B×R: VHᵀ or PHᵀ
  kDenW,      // T B×R: W(HHᵀ) or QHᵀ
  kWtW,       // T R×R: WᵀW (fused: accumulated by the sweep)
  kHHt,       // T R×R: HHᵀ
  kGhals,     // T R×R, HALS only: the Gram with l2 on the diagonal
  kGram,      // f64 R×R: Gram of a change (destroyed by the eigen-solve)
  kBlocks,    // T, MU β only, per team member: a block of ratioBlockRows rows of Λ = W·H, replaced by P, and of Q
  kSums,      // T, MU β only, 2×R×N per team member after the first: its partial sums of WᵀP and WᵀQ
  kMask,      // T K×N, masked only
  kSweep,     // T max(K, N)×R, HALS with more than one sweep only: the change of a sweep after the first
  kFixed,     // u8 R: 1 = column r of W is never updated
  kWide,      // f64 kWideChunk×R, float32 only
  kIndptr,    // i32 K + 1, CSR only: V's pattern (sparse-products.h)
  kIndices,   // i32 nnz, CSR only
  kHt,        // T N×R, CSR only: Hᵀ, the dense operand of V·Hᵀ and of W·H at the stored entries
  kOutT,      // T N×R, CSR only: Vᵀ·W (or Pᵀ·W, Qᵀ·W) before it is transposed into an R×N product
  kOutTSums,  // T N×R per team member after the first, CSR only: the members' partial sums of outT
  kStored,    // T nnz (MU β: per ratio buffer), CSR only: Λ at the stored entries (MU β: replaced by P, then Q)
  kPartCount
};

template <typename T>
struct State {
  FitSpec spec;
  T* V;
  T* W;
  T* H;
  T* dH;
  T* numH;
  T* denH;
  T* dW;
  T* numW;
  T* denW;
  T* WtW;
  T* HHt;
  T* Ghals;
  double* gram;
  T* blocks;
  T* sums;
  T* mask;
  T* sweep;
  std::uint8_t* fixed;
  double* wide;
  std::int32_t* indptr;
  std::int32_t* indices;
  T* Ht;
  T* outT;
  T* outTSums;
  T* stored;
  Team* team;  // this backend only: the threads the fit runs on
  // Which products hold those of the current factors.
  bool wtvFresh = false;           // numH = WᵀV
  bool wtwFresh = false;           // WtW = WᵀW
  bool vhtFresh = false;           // numW = VHᵀ (not fused: there numW holds one block)
  bool hhtFresh = false;           // HHt = HHᵀ
  bool anyFixed = false;           // some column of W is fixed
  bool started = false;            // ‖V‖², the first products and F(W0, H0) are formed
  bool finished = false;           // finish has normalised, evaluated F and formed E
  bool converged = false;          // the last iteration of the last run passed the stop rule
  std::size_t iteration = 0;       // iterations since the fit began
  double normV2 = 0.0;             // ‖V‖²_F (Gram form)
  double initialObjective = 0.0;   // F(W0, H0)
  double previousObjective = 0.0;  // F at the last checkpoint (F(W0, H0) before the first)
  double frobenius = 0.0;          // ‖E‖_F, set by finish
  double residualMax = 0.0;        // max |E|, set by finish
  double objective = 0.0;          // F of the returned factors, set by finish
  double scale = 1.0;              // NMFD: eps + ΣV, by which V and H are divided while the fit runs
  double hChangeSquared = 0.0;     // ‖ΔH‖²_F of the last iteration (the trace of its change Gram)
  double wChangeSquared = 0.0;     // ‖ΔW‖²_F of the last iteration
};

// Whether the fit runs the fused MU Euclidean sweep, which updates W in blocks of blockRows rows (it needs both
// factors updated; any other fit updates W whole, whatever blockRows says).
bool fusedSweep(const FitSpec& s) {
  return s.solver == Solver::MuEuclidean && s.blockRows > 0 && s.updateW && s.updateH && s.storage == Storage::Dense;
}

// Whether V comes as CSR: its products are sparse-products.h's, and nothing of size K×N exists.
bool sparse(const FitSpec& s) { return s.storage == Storage::Csr; }

// Entries V stores: nnz for CSR, K·N dense.
std::size_t storedEntries(const FitSpec& s) { return sparse(s) ? s.nnz : s.rows * s.cols; }

double elementBytes(const FitSpec& s) { return s.dtype == Dtype::Float32 ? 4 : 8; }

double align64(double bytes) { return std::ceil(bytes / 64) * 64; }

// The ratio form (MU β) forms Λ, P and Q for blocks of this many rows of V at a time, so that a block stays in
// the cache between its product, its ratios and its products with W and H (PERFORMANCE.md, "MU β and masks").
// The blocks hold P, and Q unless β = 1, in kRatioBlockBytes; at least kMinRatioBlockRows rows and at most K. For
// a wide V the minimum decides: every block's products repack H and pass over all of WᵀP (R×N), so a short block
// costs more than it saves (500×20000, R = 20: 8 rows ran 10–15 % slower than 16 to 64).
constexpr double kRatioBlockBytes = 1 << 20;
constexpr std::size_t kMinRatioBlockRows = 16;

std::size_t ratioBuffers(const FitSpec& s) { return s.beta == 1 ? 1 : 2; }

std::size_t ratioBlockRows(const FitSpec& s) {
  const double fill = std::floor(kRatioBlockBytes / (static_cast<double>(s.cols) * elementBytes(s) * ratioBuffers(s)));
  return std::min(s.rows, std::max(kMinRatioBlockRows, static_cast<std::size_t>(fill)));
}

// Entries of one member's block: P, then Q.
std::size_t blockEntries(const FitSpec& s) { return ratioBlockRows(s) * s.cols * ratioBuffers(s); }

// Bytes of one part of an NMFD fit (nmfd.h, NmfdBuffers): the templates and their copy T×K×R, Λ (and Q) K×N in
// kBlocks, the H ratio and W_tᵀQ R×N in kDH and kNumH, Q·shift(H, t)ᵀ K×R in kNumW, R sums in kWtW.
double nmfdPartBytes(const FitSpec& s, int part) {
  const double K = static_cast<double>(s.rows), N = static_cast<double>(s.cols), R = static_cast<double>(s.rank);
  const double T = static_cast<double>(s.templateFrames);
  switch (part) {
    case kV:
    case kBlocks: return K * N * 8;
    case kW:
    case kDW: return T * K * R * 8;
    case kH:
    case kDH:
    case kNumH: return R * N * 8;
    case kNumW: return K * R * 8;
    case kWtW: return R * 8;
    case kFixed: return R;
    default: return 0;
  }
}

// Bytes of one part, in double: exact below 2^53, and any larger size is rejected anyway.
double partBytes(const FitSpec& s, int part) {
  if (s.solver == Solver::Nmfd) return nmfdPartBytes(s, part);
  const double K = static_cast<double>(s.rows), N = static_cast<double>(s.cols), R = static_cast<double>(s.rank);
  const double e = elementBytes(s);
  const double B = fusedSweep(s) ? static_cast<double>(s.blockRows) : K;
  const bool muBeta = s.solver == Solver::MuBeta && !sparse(s);
  const double nnz = static_cast<double>(s.nnz), csr = sparse(s) ? 1 : 0;
  switch (part) {
    case kV: return sparse(s) ? nnz * e : K * N * e;
    case kW: return K * R * e;
    case kH:
    case kDH:
    case kNumH:
    case kDenH: return R * N * e;
    case kDW:
    case kNumW:
    case kDenW: return B * R * e;
    case kWtW:
    case kHHt: return R * R * e;
    case kGhals: return s.solver == Solver::Hals ? R * R * e : 0;
    case kGram: return R * R * 8;
    case kBlocks: return muBeta ? static_cast<double>(s.threads) * static_cast<double>(blockEntries(s)) * e : 0;
    case kSums: return muBeta ? (static_cast<double>(s.threads) - 1) * 2 * R * N * e : 0;
    case kMask: return s.masked && !sparse(s) ? K * N * e : 0;
    case kSweep: return s.solver == Solver::Hals && s.halsSweeps > 1 ? std::max(K, N) * R * e : 0;
    case kFixed: return R;
    case kWide: return s.dtype == Dtype::Float32 ? static_cast<double>(kWideChunk) * R * 8 : 0;
    case kIndptr: return csr * (K + 1) * 4;
    case kIndices: return csr * nnz * 4;
    case kHt:
    case kOutT: return csr * N * R * e;
    case kOutTSums: return csr * (static_cast<double>(s.threads) - 1) * N * R * e;
    case kStored: return csr * nnz * (s.solver == Solver::MuBeta ? static_cast<double>(ratioBuffers(s)) : 1) * e;
    default: return 0;
  }
}

// Bytes of a part's slot in the arena: the part on a 64-byte boundary, then (sanitized builds) a redzone.
double slotBytes(const FitSpec& s, int part) {
  return align64(partBytes(s, part)) + static_cast<double>(kRedzoneBytes);
}

// Bytes of the arena: every part on a 64-byte boundary.
double arenaBytes(const FitSpec& s) {
  double bytes = 0;
  for (int p = 0; p < kPartCount; ++p) bytes += slotBytes(s, p);
  return bytes;
}

// Points the state's buffers into the arena, and poisons what lies between them (arena.h: for AddressSanitizer).
template <typename T>
void attach(State<T>& s, Arena& arena) {
  std::uint8_t* parts[kPartCount];
  std::size_t offset = 0;
  for (int p = 0; p < kPartCount; ++p) {
    parts[p] = arena.data() + offset;
    const auto used = static_cast<std::size_t>(partBytes(s.spec, p));
    const auto slot = static_cast<std::size_t>(slotBytes(s.spec, p));
    arena.poison(offset + used, slot - used);
    offset += slot;
  }
  s.V = reinterpret_cast<T*>(parts[kV]);
  s.W = reinterpret_cast<T*>(parts[kW]);
  s.H = reinterpret_cast<T*>(parts[kH]);
  s.dH = reinterpret_cast<T*>(parts[kDH]);
  s.numH = reinterpret_cast<T*>(parts[kNumH]);
  s.denH = reinterpret_cast<T*>(parts[kDenH]);
  s.dW = reinterpret_cast<T*>(parts[kDW]);
  s.numW = reinterpret_cast<T*>(parts[kNumW]);
  s.denW = reinterpret_cast<T*>(parts[kDenW]);
  s.WtW = reinterpret_cast<T*>(parts[kWtW]);
  s.HHt = reinterpret_cast<T*>(parts[kHHt]);
  s.Ghals = reinterpret_cast<T*>(parts[kGhals]);
  s.gram = reinterpret_cast<double*>(parts[kGram]);
  s.blocks = reinterpret_cast<T*>(parts[kBlocks]);
  s.sums = reinterpret_cast<T*>(parts[kSums]);
  s.mask = reinterpret_cast<T*>(parts[kMask]);
  s.sweep = reinterpret_cast<T*>(parts[kSweep]);
  s.fixed = parts[kFixed];
  s.wide = reinterpret_cast<double*>(parts[kWide]);
  s.indptr = reinterpret_cast<std::int32_t*>(parts[kIndptr]);
  s.indices = reinterpret_cast<std::int32_t*>(parts[kIndices]);
  s.Ht = reinterpret_cast<T*>(parts[kHt]);
  s.outT = reinterpret_cast<T*>(parts[kOutT]);
  s.outTSums = reinterpret_cast<T*>(parts[kOutTSums]);
  s.stored = reinterpret_cast<T*>(parts[kStored]);
}

// The mask, or null without one.
template <typename T>
const T* maskOf(const State<T>& s) {
  return s.spec.masked ? s.mask : nullptr;
}

// The fixed-column flags, or null when no column is fixed.
template <typename T>
const std::uint8_t* fixedOf(const State<T>& s) {
  return s.anyFixed ? s.fixed : nullptr;
}

// Team member `member`'s block of the ratio form (ratioBlockRows rows: P, then Q).
template <typename T>
T* blockOf(const State<T>& s, std::size_t member) {
  return s.blocks + member * blockEntries(s.spec);
}

// ---------------------------------------------------------------------------------------------------------------
// Products.

// The factors changed: the products formed from them are stale.
template <typename T>
void hChanged(State<T>& s) {
  s.hhtFresh = s.vhtFresh = false;
}

template <typename T>
void wChanged(State<T>& s) {
  s.wtwFresh = s.wtvFresh = false;
}

// CSR: out (R×N) = Wᵀ·A, A the pattern with `values` (V, P or Q at the stored entries; null: the pattern itself),
// as (Aᵀ·W)ᵀ by rows of A.
template <typename T>
void sparseWtA(State<T>& s, const T* values, T* out) {
  const std::size_t K = s.spec.rows, N = s.spec.cols, R = s.spec.rank;
  csrTransposeMulDense(*s.team, s.indptr, s.indices, values, s.W, s.outT, s.outTSums, K, N, R);
  transposeDense(s.outT, out, N, R);
}

// CSR: out (K×R) = A·Hᵀ, A as for sparseWtA, by rows of A.
template <typename T>
void sparseAHt(State<T>& s, const T* values, T* out) {
  const std::size_t K = s.spec.rows, N = s.spec.cols, R = s.spec.rank;
  transposeDense(s.H, s.Ht, R, N);
  csrMulDense(*s.team, s.indptr, s.indices, values, s.Ht, out, K, R);
}

// WᵀV into numH and WᵀW into WtW, unless they are those of the current W.
template <typename T>
void formWProducts(State<T>& s) {
  const std::size_t K = s.spec.rows, N = s.spec.cols, R = s.spec.rank;
  if (!s.wtvFresh && sparse(s.spec)) sparseWtA(s, s.V, s.numH);
  if (!s.wtvFresh && !sparse(s.spec)) mulAtB(*s.team, s.W, s.V, s.numH, R, K, N);
  if (!s.wtwFresh) gramAtA(s.W, s.WtW, K, R);
  s.wtvFresh = s.wtwFresh = true;
}

// VHᵀ into numW and HHᵀ into HHt, unless they are those of the current H (not fused: its numW holds one block).
template <typename T>
void formHProducts(State<T>& s) {
  const std::size_t K = s.spec.rows, N = s.spec.cols, R = s.spec.rank;
  if (!s.vhtFresh && sparse(s.spec)) sparseAHt(s, s.V, s.numW);
  if (!s.vhtFresh && !sparse(s.spec)) mulABt(*s.team, s.V, s.H, s.numW, K, N, R);
  if (!s.hhtFresh) gramAAt(s.H, s.HHt, R, N);
  s.vhtFresh = s.hhtFresh = true;
}

// The ratio form of rows [i0, i0 + rows) of the current factors (§2): Λ = W·H of those rows into the block P, then
// P in its place and Q after it. Returns what the denominators multiply: Q, or for KL the mask's rows (Q = M), or
// null for KL without a mask (Q ≡ 1: the denominators are column and row sums).
template <typename T>
const T* formBlockRatios(State<T>& s, T* P, std::size_t i0, std::size_t rows) {
  const FitSpec& p = s.spec;
  const std::size_t N = p.cols, R = p.rank;
  const T* M = p.masked ? s.mask + i0 * N : nullptr;
  T* Q = p.beta == 1 ? nullptr : P + ratioBlockRows(p) * N;
  mulSmallInner(s.W + i0 * R, s.H, P, rows, R, N);
  formRatios(s.V + i0 * N, M, P, P, Q, rows * N, p.beta, static_cast<T>(p.eps));
  return Q != nullptr ? Q : M;
}

// CSR: Λ = W·H at the stored entries into `stored`, then P in its place and Q after it (the ratio form at the
// stored entries only: elsewhere V is 0, so P is 0, and Q is what formRatioProductsH and W take instead). Returns
// Q, or null for KL, whose Q is the pattern (masked) or all ones (the column and row sums).
template <typename T>
const T* formStoredRatios(State<T>& s) {
  const FitSpec& p = s.spec;
  const std::size_t nnz = p.nnz;
  T* Q = p.beta == 1 ? nullptr : s.stored + nnz;
  formStoredLambda(s);
  formRatios(s.V, static_cast<const T*>(nullptr), s.stored, s.stored, Q, nnz, p.beta, static_cast<T>(p.eps));
  return Q;
}

// CSR: numH = WᵀP and denH = WᵀQ, W's column sums (KL), or Wᵀ times the pattern (masked KL).
template <typename T>
void formSparseRatioProductsH(State<T>& s) {
  const FitSpec& p = s.spec;
  const T* Q = formStoredRatios(s);
  sparseWtA(s, s.stored, s.numH);
  if (Q != nullptr || p.masked)
    sparseWtA(s, Q, s.denH);
  else
    columnSums(s.W, p.rows, p.rank, s.denH, p.cols);
}

// CSR: numW = PHᵀ and denW = QHᵀ, H's row sums (KL), or the pattern times Hᵀ (masked KL).
template <typename T>
void formSparseRatioProductsW(State<T>& s) {
  const FitSpec& p = s.spec;
  const T* Q = formStoredRatios(s);
  sparseAHt(s, s.stored, s.numW);
  if (Q != nullptr || p.masked)
    sparseAHt(s, Q, s.denW);
  else
    rowSums(s.H, p.rank, p.cols, s.denW, p.rows);
}

// numH = WᵀP and denH = WᵀQ (KL: WᵀM, or the column sums of W without a mask), block by block: V is read once,
// and each block's Λ, P and Q stay in the cache. Each team member adds the products of the blocks of its rows in
// order (W_iᵀP_i), into numH and denH for the first member and into its partials for the others; the partials
// are then added in member order, so the sums depend on the team size only.
template <typename T>
void formRatioProductsH(State<T>& s) {
  const FitSpec& p = s.spec;
  const std::size_t K = p.rows, N = p.cols, R = p.rank;
  if (sparse(p)) return formSparseRatioProductsH(s);
  forEachBlock(*s.team, K, ratioBlockRows(p), [&](std::size_t member, std::size_t i0, std::size_t rows, bool first) {
    T* num = member == 0 ? s.numH : s.sums + (member - 1) * 2 * R * N;
    T* den = member == 0 ? s.denH : num + R * N;
    const T* Wi = s.W + i0 * R;
    T* P = blockOf(s, member);
    const T* Q = formBlockRatios(s, P, i0, rows);
    mulAtBAdd(Wi, P, num, R, rows, N, first);
    if (Q != nullptr) mulAtBAdd(Wi, Q, den, R, rows, N, first);
  });
  addPartials(*s.team, s.numH, s.sums, R * N, 2 * R * N, K);
  if (p.beta != 1 || p.masked)
    addPartials(*s.team, s.denH, s.sums + R * N, R * N, 2 * R * N, K);
  else
    columnSums(s.W, K, R, s.denH, N);
}

// numW = PHᵀ and denW = QHᵀ (KL: MHᵀ, or the row sums of H without a mask), block by block; each block's rows of
// numW and denW are its own.
template <typename T>
void formRatioProductsW(State<T>& s) {
  const FitSpec& p = s.spec;
  const std::size_t K = p.rows, N = p.cols, R = p.rank;
  if (sparse(p)) return formSparseRatioProductsW(s);
  forEachBlock(*s.team, K, ratioBlockRows(p), [&](std::size_t member, std::size_t i0, std::size_t rows, bool) {
    T* P = blockOf(s, member);
    const T* Q = formBlockRatios(s, P, i0, rows);
    mulABt(P, s.H, s.numW + i0 * R, rows, N, R);
    if (Q != nullptr) mulABt(Q, s.H, s.denW + i0 * R, rows, N, R);
  });
  if (p.beta == 1 && !p.masked) rowSums(s.H, R, N, s.denW, K);
}

// Ghals ← G + l2·I: HALS's Gram with the L2 penalty on the diagonal; G stays unpenalised for the objective.
template <typename T>
const T* halsGram(State<T>& s, const T* G, double l2) {
  const std::size_t R = s.spec.rank;
  std::copy(G, G + R * R, s.Ghals);
  const T shift = static_cast<T>(l2);
  for (std::size_t k = 0; k < R; ++k) s.Ghals[k * R + k] = s.Ghals[k * R + k] + shift;
  return s.Ghals;
}

// The trace of an n×n Gram matrix XᵀX or XXᵀ: ‖X‖²_F.
double gramTrace(const double* G, std::size_t n) {
  double trace = 0.0;
  for (std::size_t k = 0; k < n; ++k) trace += G[k * n + k];
  return trace;
}

// hChange = ‖ΔH‖₂ from the R×R Gram ΔHΔHᵀ, wChange from ΔWᵀΔW (float64); their traces are ‖ΔH‖²_F and ‖ΔW‖²_F.
template <typename T>
double hChangeNorm(State<T>& s) {
  changeGramAAt(s.dH, s.gram, s.spec.rank, s.spec.cols, s.wide);
  s.hChangeSquared = gramTrace(s.gram, s.spec.rank);
  return largestSingularValueFromGram(s.gram, s.spec.rank);
}

template <typename T>
double wChangeNorm(State<T>& s) {
  changeGramAtA(s.dW, s.gram, s.spec.rows, s.spec.rank, s.wide);
  s.wChangeSquared = gramTrace(s.gram, s.spec.rank);
  return largestSingularValueFromGram(s.gram, s.spec.rank);
}

// ---------------------------------------------------------------------------------------------------------------
// Solvers (docs/algorithms.md §2, §5). Each runs one iteration: the H half-step, the W half-step with the new H,
// and the spectral norms of both changes (0 for a factor that is not updated).

// MU for the Euclidean loss from Grams: H ← H ⊙ (WᵀV) ⊘ ((WᵀW)H + l1H + l2H·H + eps), then
// W ← W ⊙ (VHᵀ) ⊘ (W(HHᵀ) + l1W + l2W·W + eps). Reads V twice, or not at all for a factor never updated.
template <typename T>
void iterateMuEuclidean(State<T>& s, double* hOut, double* wOut) {
  const FitSpec& p = s.spec;
  const std::size_t K = p.rows, N = p.cols, R = p.rank;
  const T eps = static_cast<T>(p.eps);
  if (p.updateH) {
    formWProducts(s);
    mulSmallInner(*s.team, s.WtW, s.H, s.denH, R, R, N);
    updateMu(*s.team, s.H, s.numH, s.denH, s.dH, R, N, eps, static_cast<T>(p.l1H), static_cast<T>(p.l2H), 1.0, nullptr);
    hChanged(s);
  }
  if (p.updateW) {
    formHProducts(s);
    mulSmallInner(*s.team, s.W, s.HHt, s.denW, K, R, R);
    updateMu(*s.team, s.W, s.numW, s.denW, s.dW, K, R, eps, static_cast<T>(p.l1W), static_cast<T>(p.l2W), 1.0,
             fixedOf(s));
    wChanged(s);
  }
  *hOut = p.updateH ? hChangeNorm(s) : 0.0;
  *wOut = p.updateW ? wChangeNorm(s) : 0.0;
}

// The same iteration with V read once (blockRows > 0, both factors updated): a sweep over blocks of V's rows
// updates W block by block and accumulates WᵀV and WᵀW of the new W for the next iteration's H half-step, and
// ΔWᵀΔW for wChange. The first iteration forms WᵀV and WᵀW of the initial W in one extra pass.
template <typename T>
void iterateMuEuclideanFused(State<T>& s, double* hOut, double* wOut) {
  const FitSpec& p = s.spec;
  const std::size_t K = p.rows, N = p.cols, R = p.rank, B = p.blockRows;
  const T eps = static_cast<T>(p.eps);
  formWProducts(s);
  mulSmallInner(*s.team, s.WtW, s.H, s.denH, R, R, N);
  updateMu(*s.team, s.H, s.numH, s.denH, s.dH, R, N, eps, static_cast<T>(p.l1H), static_cast<T>(p.l2H), 1.0, nullptr);
  hChanged(s);
  *hOut = hChangeNorm(s);

  // For each block of rows i: W_i ← MU step with V_iHᵀ and W_i(HHᵀ); then, with the new W_i,
  // ΔWᵀΔW += ΔW_iᵀΔW_i, WᵀV += W_iᵀV_i and WᵀW += W_iᵀW_i.
  gramAAt(s.H, s.HHt, R, N);
  const T l1 = static_cast<T>(p.l1W), l2 = static_cast<T>(p.l2W);
  for (std::size_t i0 = 0; i0 < K; i0 += B) {
    const std::size_t rows = std::min(B, K - i0);
    const bool first = i0 == 0;
    const T* Vi = s.V + i0 * N;
    T* Wi = s.W + i0 * R;
    mulABt(Vi, s.H, s.numW, rows, N, R);
    mulSmallInner(Wi, s.HHt, s.denW, rows, R, R);
    updateMu(Wi, s.numW, s.denW, s.dW, rows, R, eps, l1, l2, 1.0, fixedOf(s));
    changeGramAtAAdd(s.dW, s.gram, rows, R, s.wide, first);
    mulAtBAdd(Wi, Vi, s.numH, R, rows, N, first);
    gramAtAAdd(Wi, s.WtW, rows, R, first);
  }
  mirrorUpperToLower(s.WtW, R);
  mirrorUpperToLower(s.gram, R);
  s.wChangeSquared = gramTrace(s.gram, R);
  *wOut = largestSingularValueFromGram(s.gram, R);
  // numH and WtW now hold WᵀV and WᵀW of the new W, HHt HHᵀ of the new H; numW only the last block.
  s.wtvFresh = s.wtwFresh = s.hhtFresh = true;
  s.vhtFresh = false;
}

// One MU step of MU β: with an L2 penalty and β < 2 the MM step of the penalised β (KL's in closed form, the others
// by Newton's method), everything else updateMu with γ(β).
template <typename T>
void muBetaStep(State<T>& s, T* X, const T* num, const T* den, T* change, std::size_t rows, std::size_t cols, double l1,
                double l2, const std::uint8_t* fixed) {
  const T eps = static_cast<T>(s.spec.eps);
  if (s.spec.beta == 1 && l2 > 0) {
    updateMuKlL2(*s.team, X, num, den, change, rows, cols, eps, static_cast<T>(l1), static_cast<T>(l2), fixed);
  } else if (s.spec.beta < 2 && l2 > 0) {
    updateMuL2(*s.team, X, num, den, change, rows, cols, eps, static_cast<T>(l1), static_cast<T>(l2), s.spec.beta,
               fixed);
  } else {
    updateMu(*s.team, X, num, den, change, rows, cols, eps, static_cast<T>(l1), static_cast<T>(l2),
             mmExponent(s.spec.beta), fixed);
  }
}

// MU for any β or a mask, from Λ = W·H: H with num = WᵀP, den = WᵀQ (Λ = W·H), then W with num = PHᵀ, den = QHᵀ
// (Λ = W·H_new); the ratio form by blocks of rows (formRatioProductsH, formRatioProductsW).
template <typename T>
void iterateMuBeta(State<T>& s, double* hOut, double* wOut) {
  const FitSpec& p = s.spec;
  const std::size_t K = p.rows, N = p.cols, R = p.rank;
  if (p.updateH) {
    formRatioProductsH(s);
    muBetaStep(s, s.H, s.numH, s.denH, s.dH, R, N, p.l1H, p.l2H, nullptr);
    hChanged(s);
  }
  if (p.updateW) {
    formRatioProductsW(s);
    muBetaStep(s, s.W, s.numW, s.denW, s.dW, K, R, p.l1W, p.l2W, fixedOf(s));
    wChanged(s);
  }
  *hOut = p.updateH ? hChangeNorm(s) : 0.0;
  *wOut = p.updateW ? wChangeNorm(s) : 0.0;
}

// change ← change + sweep over `count` entries: the change of a half-step's sweeps, summed.
template <typename T>
void addChange(T* change, const T* sweep, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) change[i] = change[i] + sweep[i];
}

// Whether a half-step of accelerated HALS sweeps again: the last sweep changed its factor by at least halsSweepTol
// times the first sweep's change (squared Frobenius norms `last` and `first`).
bool halsSweepsAgain(const FitSpec& p, double last, double first) {
  return last > p.halsSweepTol * p.halsSweepTol * first;
}

// W's half-step of HALS: up to spec.halsSweeps sweeps of its columns with the same G and B = VHᵀ (accelerated
// HALS, Gillis & Glineur 2012: the products cost far more than a sweep), dW the change over all of them.
template <typename T>
void halsHalfStepW(State<T>& s, const T* G) {
  const FitSpec& p = s.spec;
  const std::size_t K = p.rows, R = p.rank;
  const T l1 = static_cast<T>(p.l1W);
  halsSweepColumns(*s.team, s.W, G, s.numW, s.dW, K, R, l1, fixedOf(s));
  const double first = p.halsSweeps > 1 ? sumSquares(s.dW, K * R) : 0.0;
  for (std::size_t sweep = 1; sweep < p.halsSweeps; ++sweep) {
    halsSweepColumns(*s.team, s.W, G, s.numW, s.sweep, K, R, l1, fixedOf(s));
    addChange(s.dW, s.sweep, K * R);
    if (!halsSweepsAgain(p, sumSquares(s.sweep, K * R), first)) break;
  }
}

// H's half-step of HALS: the same for the rows of H, with B = WᵀV.
template <typename T>
void halsHalfStepH(State<T>& s, const T* G) {
  const FitSpec& p = s.spec;
  const std::size_t N = p.cols, R = p.rank;
  const T l1 = static_cast<T>(p.l1H);
  halsSweepRows(*s.team, s.H, G, s.numH, s.dH, R, N, l1, s.denH);
  const double first = p.halsSweeps > 1 ? sumSquares(s.dH, R * N) : 0.0;
  for (std::size_t sweep = 1; sweep < p.halsSweeps; ++sweep) {
    halsSweepRows(*s.team, s.H, G, s.numH, s.sweep, R, N, l1, s.denH);
    addChange(s.dH, s.sweep, R * N);
    if (!halsSweepsAgain(p, sumSquares(s.sweep, R * N), first)) break;
  }
}

// HALS's update of W: the W half-step with G = HHᵀ + l2W·I, B = VHᵀ − l1W of the current H.
template <typename T>
void halsUpdateW(State<T>& s) {
  if (!s.spec.updateW) return;
  formHProducts(s);
  halsHalfStepW(s, halsGram(s, s.HHt, s.spec.l2W));
  wChanged(s);
}

// HALS's update of H: the H half-step with G = WᵀW + l2H·I, B = WᵀV − l1H of the current W.
template <typename T>
void halsUpdateH(State<T>& s) {
  if (!s.spec.updateH) return;
  formWProducts(s);
  halsHalfStepH(s, halsGram(s, s.WtW, s.spec.l2H));
  hChanged(s);
}

// HALS for the Euclidean loss (scikit-learn's solver='cd'): W then H in its order on V as its X, or H then W
// (spec.halsOrder), its order on X = Vᵀ.
template <typename T>
void iterateHals(State<T>& s, double* hOut, double* wOut) {
  const FitSpec& p = s.spec;
  if (p.halsOrder == HalsOrder::WFirst) {
    halsUpdateW(s);
    halsUpdateH(s);
  } else {
    halsUpdateH(s);
    halsUpdateW(s);
  }
  *hOut = p.updateH ? hChangeNorm(s) : 0.0;
  *wOut = p.updateW ? wChangeNorm(s) : 0.0;
}

// NMFD (nmfd.h): the fit's buffers and sizes as its kernels see them; float64 only (Fit::create refuses float32).
NmfdBuffers nmfdBuffers(State<double>& s) {
  return NmfdBuffers{s.V, s.W, s.H, s.blocks, s.numW, s.dH, s.numH, s.dW, s.WtW};
}

NmfdSizes nmfdSizes(const FitSpec& p) { return NmfdSizes{p.rows, p.cols, p.rank, p.templateFrames}; }

// One NMFD iteration; the change of H in V's units (the kernels work on V / scale).
template <typename T>
void iterateNmfd(State<T>& s, double* hOut, double* wOut) {
  if constexpr (std::is_same_v<T, double>) {
    const FitSpec& p = s.spec;
    nmfdIterate(*s.team, nmfdBuffers(s), nmfdSizes(p), p.eps, p.updateW, p.updateH, hOut, wOut);
    s.hChangeSquared = *hOut * *hOut;
    s.wChangeSquared = *wOut * *wOut;
    *hOut *= s.scale;
  }
}

// One iteration of the fit's solver.
template <typename T>
void iterate(State<T>& s, double* hOut, double* wOut) {
  switch (s.spec.solver) {
    case Solver::MuEuclidean:
      if (fusedSweep(s.spec))
        iterateMuEuclideanFused(s, hOut, wOut);
      else
        iterateMuEuclidean(s, hOut, wOut);
      break;
    case Solver::MuBeta: iterateMuBeta(s, hOut, wOut); break;
    case Solver::Hals: iterateHals(s, hOut, wOut); break;
    case Solver::Nmfd: iterateNmfd(s, hOut, wOut); break;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The objective (docs/algorithms.md §1, §7).

// l1W‖W‖₁ + ½l2W‖W‖² + l1H‖H‖₁ + ½l2H‖H‖² of the current factors.
template <typename T>
double penalties(const State<T>& s) {
  const FitSpec& p = s.spec;
  return penaltySum(s.W, p.rows * p.rank, p.l1W, p.l2W) + penaltySum(s.H, p.rank * p.cols, p.l1H, p.l2H);
}

// CSR: Λ = W·H at the stored entries into `stored`.
template <typename T>
void formStoredLambda(State<T>& s) {
  const FitSpec& p = s.spec;
  transposeDense(s.H, s.Ht, p.rank, p.cols);
  sampledProduct(*s.team, s.indptr, s.indices, s.W, s.Ht, s.stored, p.rows, p.rank);
}

// How sumOverStored combines an entry's v and λ: λ; (v − λ)²; (v − λ)² − λ².
enum class Stored { Lambda, Residual, Absent };

// Σ over the stored entries of f(v, λ) (`kind`), λ = (W·H)_ij, in float64 (CSR): Λ at the pattern into `stored`.
template <typename T>
double sumOverStored(State<T>& s, Stored kind) {
  formStoredLambda(s);
  double sum = 0.0;
  for (std::size_t k = 0; k < s.spec.nnz; ++k) {
    const double v = static_cast<double>(s.V[k]), lambda = static_cast<double>(s.stored[k]);
    if (kind == Stored::Lambda)
      sum += lambda;
    else if (kind == Stored::Residual)
      sum += (v - lambda) * (v - lambda);
    else
      sum += (v - lambda) * (v - lambda) - lambda * lambda;
  }
  return sum;
}

// Σ_ij (W·H)_ij = Σ_r (Σ_i W_ir)(Σ_j H_rj), in float64: the KL divergence's terms at V's absent entries, which are
// λ itself (CSR).
template <typename T>
double sumOfProduct(const State<T>& s) {
  const FitSpec& p = s.spec;
  double sum = 0.0;
  for (std::size_t r = 0; r < p.rank; ++r) {
    double w = 0.0, h = 0.0;
    for (std::size_t i = 0; i < p.rows; ++i) w += static_cast<double>(s.W[i * p.rank + r]);
    for (std::size_t j = 0; j < p.cols; ++j) h += static_cast<double>(s.H[r * p.cols + j]);
    sum += w * h;
  }
  return sum;
}

// CSR, MU β: D over the stored entries (divergenceSum on Λ there), and without a mask (KL) the absent entries'
// terms, Σ λ over all entries less Σ λ over the stored ones.
template <typename T>
double sparseDivergence(State<T>& s) {
  const FitSpec& p = s.spec;
  const double eps = static_cast<double>(static_cast<T>(p.eps));
  const double storedLambda = sumOverStored(s, Stored::Lambda);
  const double d = divergenceSum(s.V, static_cast<const T*>(nullptr), s.stored, p.nnz, p.beta, eps);
  return p.masked ? d : d + (sumOfProduct(s) - storedLambda);
}

// CSR: ‖E‖²_F of the residual: over the stored entries Σ (v − λ)²; without a mask the absent ones' Σ λ² too, taken
// as ‖W·H‖²_F = ⟨WᵀW, HHᵀ⟩ less Σ λ² over the stored entries (the Grams formed here).
template <typename T>
double sparseResidualSquares(State<T>& s) {
  const FitSpec& p = s.spec;
  if (p.masked) return sumOverStored(s, Stored::Residual);
  const double stored = sumOverStored(s, Stored::Absent);
  gramAtA(s.W, s.WtW, p.rows, p.rank);
  gramAAt(s.H, s.HHt, p.rank, p.cols);
  s.wtwFresh = s.hhtFresh = true;
  return std::max(0.0, stored + innerProduct(s.WtW, s.HHt, p.rank * p.rank));
}

// D of the current factors, explicitly from Λ = W·H: for MU β by the ratio form's blocks of rows (each team member
// sums its blocks in order, the members' sums are added in member order); for the Gram form R rows of Λ at a time
// into the R×N scratch dH (free between iterations).
template <typename T>
double explicitDivergence(State<T>& s) {
  const FitSpec& p = s.spec;
  const std::size_t K = p.rows, N = p.cols, R = p.rank;
  if (sparse(p)) return p.solver == Solver::MuBeta ? sparseDivergence(s) : 0.5 * sparseResidualSquares(s);
  if (p.solver == Solver::MuBeta) {
    const T* M = maskOf(s);
    const double eps = static_cast<double>(static_cast<T>(p.eps));
    return sumOverBlocks(*s.team, K, ratioBlockRows(p), [&](std::size_t member, std::size_t i0, std::size_t rows) {
      T* L = blockOf(s, member);
      mulSmallInner(s.W + i0 * R, s.H, L, rows, R, N);
      return divergenceSum(s.V + i0 * N, M == nullptr ? nullptr : M + i0 * N, L, rows * N, p.beta, eps);
    });
  }
  double sum = 0.0;
  for (std::size_t i0 = 0; i0 < K; i0 += R) {
    const std::size_t rows = std::min(R, K - i0);
    mulSmallInner(s.W + i0 * R, s.H, s.dH, rows, R, N);
    sum += divergenceSum(s.V + i0 * N, static_cast<const T*>(nullptr), s.dH, rows * N, 2.0, 0.0);
  }
  return sum;
}

// How far the Euclidean objective from float32 products may be off, relative to ‖V‖² (2^8 float32 roundings).
constexpr double kFloat32ProductsRounding = 0x1p-16;
// NMFD's F: the KL divergence of V from Λ + eps in V's units (scale times that of the scaled target), with Λ formed
// in kBlocks (free between iterations).
template <typename T>
double nmfdObjective(State<T>& s) {
  if constexpr (std::is_same_v<T, double>) {
    const FitSpec& p = s.spec;
    nmfdModel(*s.team, s.W, s.H, s.blocks, nmfdSizes(p), p.eps);
    return s.scale * nmfdDivergence(*s.team, s.V, s.blocks, p.rows * p.cols);
  }
  return std::numeric_limits<double>::quiet_NaN();
}

// F of the current factors. MU β evaluates D explicitly. The Gram form takes
// the Euclidean term from products at hand: after a W half-step (VHᵀ, W) with HHᵀ of that half-step and WᵀW of
// the new W, formed here (the next H half-step's Gram); after an H half-step or the fused sweep (WᵀV, H) with its
// WᵀW and HHᵀ of the new H (formed here, or at hand after the fused sweep).
template <typename T>
double checkpoint(State<T>& s) {
  const FitSpec& p = s.spec;
  const std::size_t K = p.rows, N = p.cols, R = p.rank;
  double d;
  if (p.solver == Solver::Nmfd) {
    d = nmfdObjective(s);
  } else if (p.solver == Solver::MuBeta) {
    d = explicitDivergence(s);
  } else if (s.vhtFresh && s.hhtFresh) {
    if (!s.wtwFresh) gramAtA(s.W, s.WtW, K, R);
    s.wtwFresh = true;
    d = euclideanFromProducts(s.normV2, s.numW, s.W, K * R, s.WtW, s.HHt, R);
  } else if (s.wtvFresh && s.wtwFresh) {
    if (!s.hhtFresh) gramAAt(s.H, s.HHt, R, N);
    s.hhtFresh = true;
    d = euclideanFromProducts(s.normV2, s.numH, s.H, R * N, s.WtW, s.HHt, R);
  } else {
    d = explicitDivergence(s);
  }
  // float32: the products' rounding, about 2^-24·‖V‖² (times the length of their sums), does not shrink with the
  // objective; where it could reach tol·F, the objective rule would stop on rounding, so D is taken explicitly
  // from W·H, whose rounding is relative to each residual instead.
  if (p.solver != Solver::MuBeta && p.dtype == Dtype::Float32 && p.stop == Stop::Objective &&
      d * p.tol < kFloat32ProductsRounding * s.normV2)
    d = explicitDivergence(s);
  return d + penalties(s);
}

// Before the first iteration: which columns are fixed, ‖V‖² and F(W0, H0). The Gram form forms the products its
// first half-step needs (WᵀV and WᵀW for an H half-step, VHᵀ and HHᵀ for a W half-step) and takes F(W0, H0)
// from them with one O((K + N)·R²) Gram more, instead of a product as large as an iteration's. MU β evaluates
// F(W0, H0) explicitly.
template <typename T>
void start(State<T>& s) {
  const FitSpec& p = s.spec;
  s.anyFixed = false;
  for (std::size_t r = 0; r < p.rank; ++r) s.anyFixed = s.anyFixed || s.fixed[r] != 0;
  if constexpr (std::is_same_v<T, double>) {
    if (p.solver == Solver::Nmfd) s.scale = nmfdScale(s.V, s.H, nmfdSizes(p), p.eps);
  }
  if (p.solver != Solver::MuBeta && p.solver != Solver::Nmfd) {
    s.normV2 = sumSquares(*s.team, s.V, storedEntries(p));
    // The products of the first half-step: H's (WᵀV, WᵀW) for MU, and for HALS those of the factor it updates first.
    const bool halsWFirst = p.halsOrder == HalsOrder::WFirst ? p.updateW : !p.updateH;
    const bool wFirst = p.solver == Solver::Hals ? halsWFirst : !p.updateH;
    if (wFirst)
      formHProducts(s);
    else
      formWProducts(s);
  }
  s.initialObjective = checkpoint(s);
  s.previousObjective = s.initialObjective;
  s.started = true;
}

// The relative-change rule (scikit-learn's for MiniBatchNMF's activations): every updated factor X has
// ‖ΔX‖_F / ‖X‖_F ≤ tol. Taken as a quotient, so a factor that is and stays zero (0/0) never stops the fit; tol 0
// never stops it either.
template <typename T>
bool relativeChangesWithin(State<T>& s) {
  const FitSpec& p = s.spec;
  if (!(p.tol > 0)) return false;
  const std::size_t K = p.rows, N = p.cols, R = p.rank, frames = p.templateFrames;
  bool within = true;
  if (p.updateH) within = within && std::sqrt(s.hChangeSquared) / std::sqrt(sumSquares(s.H, R * N)) <= p.tol;
  if (p.updateW) within = within && std::sqrt(s.wChangeSquared) / std::sqrt(sumSquares(s.W, frames * K * R)) <= p.tol;
  return within;
}

// At most `steps` iterations (fit.h, Fit::run); `cancel` is checked before each one.
template <typename T>
std::size_t run(State<T>& s, std::size_t steps, double* hOut, double* wOut, double* objOut,
                const std::atomic<bool>& cancel) {
  const FitSpec& p = s.spec;
  std::size_t done = 0;
  s.converged = false;
  while (done < steps) {
    if (cancel.load(std::memory_order_relaxed)) break;
    if (!s.started) start(s);
    double* h = hOut + done;
    double* w = wOut + done;
    iterate(s, h, w);
    done++;
    s.iteration++;
    const bool isCheckpoint = s.iteration % p.errorEvery == 0;
    double objective = std::numeric_limits<double>::quiet_NaN();
    if (isCheckpoint && (objOut != nullptr || p.stop == Stop::Objective)) objective = checkpoint(s);
    if (objOut != nullptr) objOut[done - 1] = objective;
    if (p.stop == Stop::Change) {
      s.converged = *h < p.tol && *w < p.tol;
    } else if (p.stop == Stop::Objective && isCheckpoint) {
      const double previous = s.previousObjective;
      s.converged = previous == 0 || (previous - objective) / previous < p.tol;
      s.previousObjective = objective;
    } else if (p.stop == Stop::RelativeChange) {
      s.converged = relativeChangesWithin(s);
    }
    if (s.converged) break;
  }
  return done;
}

// ---------------------------------------------------------------------------------------------------------------
// Initialisation from V (src/init): before the first iteration, the facade may ask for products with V and then
// replace the initial factors.

// out = V·X (X N×cols, out K×cols) or, transposed, Vᵀ·X (X K×cols, out N×cols), float64 in and out; the product
// in the fit's dtype over its team (X rounded to it, the result widened).
template <typename T>
void multiplyV(State<T>& s, const double* X, std::size_t cols, bool transpose, double* out) {
  if (s.started) throw std::logic_error("multiplyV: the fit has started");
  const std::size_t K = s.spec.rows, N = s.spec.cols;
  const std::size_t inner = transpose ? K : N, outer = transpose ? N : K;
  const std::vector<T> x(X, X + inner * cols);
  std::vector<T> y(outer * cols);
  if (sparse(s.spec) && transpose)
    csrTransposeMulDense(s.indptr, s.indices, static_cast<const T*>(s.V), x.data(), y.data(), 0, K, N, cols);
  else if (sparse(s.spec))
    csrMulDense(*s.team, s.indptr, s.indices, static_cast<const T*>(s.V), x.data(), y.data(), K, cols);
  else if (transpose)
    mulAtB(*s.team, s.V, x.data(), y.data(), N, K, cols);
  else
    mulSmallInner(*s.team, s.V, x.data(), y.data(), K, N, cols);
  std::copy(y.begin(), y.end(), out);
}

// Replaces the initial factors (rounded to the fit's dtype).
template <typename T>
void setFactors(State<T>& s, const double* W, const double* H) {
  if (s.started) throw std::logic_error("setFactors: the fit has started");
  const std::size_t K = s.spec.rows, N = s.spec.cols, R = s.spec.rank;
  std::copy(W, W + K * R * s.spec.templateFrames, s.W);
  std::copy(H, H + R * N, s.H);
}

// ---------------------------------------------------------------------------------------------------------------
// Finish.

// E ← V − W·H in place of V (V is not needed after the loop, and a separate K×N residual would double the fit's
// memory at its end), by rows over the team: W·H formed and subtracted, as numpy evaluates it.
void formResidual(Team& team, double* V, const double* W, const double* H, std::size_t K, std::size_t N,
                  std::size_t R) {
  team.forEach(
      K, [&](std::size_t i0, std::size_t i1) { subtractMulSmallInner(W + i0 * R, H, V + i0 * N, i1 - i0, R, N); });
}

// The same for a float32 fit, with W·H and the subtraction in float64 and only E rounded to float32, so that E is
// accurate relative to itself, not to V (a small residual would otherwise drown in V's rounding). W and H are
// widened once, and each member forms its rows R at a time in a float64 scratch of its own (finish runs once; these
// buffers are small beside V).
void formResidual(Team& team, float* V, const float* W, const float* H, std::size_t K, std::size_t N, std::size_t R) {
  const std::vector<double> Wd(W, W + K * R);
  const std::vector<double> Hd(H, H + R * N);
  std::vector<double> scratch(team.size() * R * N);
  team.run([&](std::size_t member) {
    const Share share = K < team.size() ? (member == 0 ? Share{0, K} : Share{0, 0}) : split(K, team.size(), member);
    double* own = scratch.data() + member * R * N;
    for (std::size_t i0 = share.begin; i0 < share.end; i0 += R) {
      const std::size_t rows = std::min(R, share.end - i0);
      mulSmallInner(Wd.data() + i0 * R, Hd.data(), own, rows, R, N);
      float* e = V + i0 * N;
      for (std::size_t i = 0; i < rows * N; ++i) e[i] = static_cast<float>(static_cast<double>(e[i]) - own[i]);
    }
  });
}

// ‖E‖_F = sqrt(Σ e²) from the residual's sums. Where a square could have overflowed or underflowed (max |e| outside
// [2^-400, 2^400]) the sum is taken again on c·E (scaleFor: exact) and divided by c; elsewhere the two agree to
// the bit.
template <typename T>
double frobenius(const T* E, std::size_t count, const ResidualSums& sums) {
  if (sums.maxAbs >= 0x1p-400 && sums.maxAbs <= 0x1p+400) return std::sqrt(sums.squares);
  const double c = scaleFor(sums.maxAbs);
  double sum = 0.0;
  for (std::size_t i = 0; i < count; ++i) {
    const double x = static_cast<double>(E[i]) * c;
    sum += x * x;
  }
  return std::sqrt(sum) / c;
}

// finish for CSR: F and ‖E‖_F from the stored entries and the Grams, never from a K×N residual; the spectral norm
// is not computed (NaN: src/options.ts refuses spectralError for CSR).
template <typename T>
double finishSparse(State<T>& s) {
  const FitSpec& p = s.spec;
  const double squares = sparseResidualSquares(s);
  const double d = p.solver == Solver::MuBeta ? sparseDivergence(s) : 0.5 * squares;
  s.objective = d + penalties(s);
  s.frobenius = std::sqrt(squares);
  s.finished = true;
  return std::numeric_limits<double>::quiet_NaN();
}

// Once: normalises the learned components (§8; a factor or column that is not updated is returned as given),
// evaluates F of the returned factors (MU β explicitly; the Gram form from the residual), forms E once in place
// of V (with a mask, M ⊙ E) and measures it in one pass: its Frobenius norm and max |E|. Then ‖E‖₂ by Lanczos,
// when the specification asks for it (NaN otherwise).
// NMFD's finish: F and ‖V − Σ_t W_t·shift(H, t)‖_F of the returned factors, and H back in V's units. No spectral
// norm (the facade asks for none).
template <typename T>
double finishNmfd(State<T>& s) {
  if constexpr (std::is_same_v<T, double>) {
    const FitSpec& p = s.spec;
    if (!s.finished) {
      if (!s.started) start(s);
      s.objective = checkpoint(s);
      s.frobenius = s.scale * nmfdResidualNorm(*s.team, s.V, s.blocks, p.rows * p.cols, p.eps);
      for (std::size_t i = 0; i < p.rank * p.cols; ++i) s.H[i] *= s.scale;
      s.finished = true;
    }
  }
  return std::numeric_limits<double>::quiet_NaN();
}

template <typename T>
double finish(State<T>& s) {
  const FitSpec& p = s.spec;
  const std::size_t K = p.rows, N = p.cols, R = p.rank;
  if (p.solver == Solver::Nmfd) return finishNmfd(s);
  if (!s.finished) {
    if (!s.started) start(s);
    if (p.normalize != Normalize::None && p.updateW && p.updateH) {
      normalizeColumns(s.W, s.H, K, N, R, p.normalize, fixedOf(s));
      hChanged(s);
      wChanged(s);
    }
    if (sparse(p)) return finishSparse(s);
    double d = p.solver == Solver::MuBeta ? explicitDivergence(s) : 0.0;
    formResidual(*s.team, s.V, s.W, s.H, K, N, R);
    const ResidualSums sums = residualSums(*s.team, s.V, maskOf(s), K, N);
    if (p.solver != Solver::MuBeta) d = 0.5 * sums.squares;  // no mask here: D = ½‖E‖²
    s.objective = d + penalties(s);
    s.frobenius = frobenius(s.V, K * N, sums);
    s.residualMax = sums.maxAbs;
    s.finished = true;
  }
  if (!p.spectralError || sparse(p)) return std::numeric_limits<double>::quiet_NaN();
  return residualSpectralNorm(*s.team, s.V, K, N, s.residualMax);
}

// ---------------------------------------------------------------------------------------------------------------
// The fit object: the arena, the state and the entry points of fit.h.

std::string shape(const FitSpec& s) {
  return std::to_string(s.rows) + "×" + std::to_string(s.cols) + " with rank " + std::to_string(s.rank);
}

template <typename T>
class FitOf final : public Fit {
 public:
  FitOf(const FitSpec& spec, const FitArrays& a)
      : Fit(spec), team_(spec.threads), arena_(static_cast<std::size_t>(arenaBytes(spec))) {
    state_.spec = spec;
    attach(state_, arena_);
    state_.team = &team_;
    const std::size_t K = spec.rows, N = spec.cols, R = spec.rank;
    if (a.V32 != nullptr)
      copyOnTeam(team_, a.V32, storedEntries(spec), state_.V);
    else
      copyOnTeam(team_, a.V, storedEntries(spec), state_.V);
    if (spec.storage == Storage::Csr) {
      std::copy(a.indptr, a.indptr + K + 1, state_.indptr);
      std::copy(a.indices, a.indices + spec.nnz, state_.indices);
    }
    std::copy(a.W, a.W + K * R * spec.templateFrames, state_.W);
    std::copy(a.H, a.H + R * N, state_.H);
    if (spec.masked && spec.storage == Storage::Dense) std::copy(a.mask, a.mask + K * N, state_.mask);
    for (std::size_t r = 0; r < R; ++r) state_.fixed[r] = a.fixedColumnsW[r] != 0 ? 1 : 0;
  }

  void multiplyV(const double* X, std::size_t cols, bool transpose, double* out) override {
    nmf::multiplyV(state_, X, cols, transpose, out);
  }
  void setFactors(const double* W, const double* H) override { nmf::setFactors(state_, W, H); }
  std::size_t run(std::size_t steps, double* hOut, double* wOut, double* objOut) override {
    return nmf::run(state_, steps, hOut, wOut, objOut, cancelFlag());
  }
  bool converged() const override { return state_.converged; }
  FitErrors finish() override {
    const double spectral = nmf::finish(state_);
    return FitErrors{spectral, state_.frobenius, state_.objective, state_.initialObjective};
  }
  void copyW(double* out) const override { copyTo(state_.W, spec.rows * spec.rank * spec.templateFrames, out); }
  void copyH(double* out) const override { copyTo(state_.H, spec.rank * spec.cols, out); }
  void copyW(float* out) const override { copyTo(state_.W, spec.rows * spec.rank * spec.templateFrames, out); }
  void copyH(float* out) const override { copyTo(state_.H, spec.rank * spec.cols, out); }
  std::size_t bytes() const override { return arena_.bytes(); }

 private:
  template <typename Out>
  static void copyTo(const T* from, std::size_t count, Out* out) {
    std::transform(from, from + count, out, [](T x) { return static_cast<Out>(x); });
  }

  Team team_;
  Arena arena_;
  State<T> state_;
};

}  // namespace

void checkFitSizes(const FitSpec& spec) {
  if (spec.rows == 0 || spec.cols == 0 || spec.rank == 0) {
    throw std::invalid_argument("rows, cols and rank must be at least 1, got " + shape(spec));
  }
  // The BLAS takes every dimension (and leading dimension) as a blas_int, usually 32-bit.
  const auto blasMax = static_cast<std::size_t>(std::numeric_limits<blas_int>::max());
  if (spec.rows > blasMax || spec.cols > blasMax || spec.rank > blasMax) {
    throw std::length_error("matrix too large: " + shape(spec) + " exceeds the BLAS dimension limit of " +
                            std::to_string(blasMax));
  }
  if (spec.templateFrames < 1 ||
      (spec.solver == Solver::Nmfd ? spec.templateFrames > spec.cols : spec.templateFrames != 1)) {
    throw std::invalid_argument("templateFrames must be in [1, cols] for solver nmfd and 1 otherwise, got " +
                                std::to_string(spec.templateFrames));
  }
  if (spec.solver == Solver::Nmfd && spec.dtype != Dtype::Float64) {
    throw std::invalid_argument("solver nmfd computes in float64 only");
  }
  // NMFD's arena has no mask part: a mask is its callers' error, refused before anything is copied.
  if (spec.solver == Solver::Nmfd && (spec.storage != Storage::Dense || spec.masked)) {
    throw std::invalid_argument("solver nmfd takes a dense V and no mask");
  }
  // A CSR pattern's offsets are 32-bit.
  if (spec.storage == Storage::Csr && spec.nnz > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
    throw std::length_error("matrix too large: " + std::to_string(spec.nnz) + " stored entries exceed 2^31 − 1");
  }
  if (spec.threads < 1 || spec.threads > kMaxTeamThreads) {
    throw std::invalid_argument("threads must be in [1, " + std::to_string(kMaxTeamThreads) + "], got " +
                                std::to_string(spec.threads));
  }
  // Below 2^52 bytes every size is exact in double and fits in std::ptrdiff_t; no machine has that much memory.
  if (!(arenaBytes(spec) < 4503599627370496.0)) {
    throw std::length_error("matrix too large: " + shape(spec) + " overflows the address space");
  }
}

std::unique_ptr<Fit> Fit::create(const FitSpec& spec, const FitArrays& arrays) {
  checkFitSizes(spec);  // before anything is allocated
  if (spec.dtype == Dtype::Float32) return std::make_unique<FitOf<float>>(spec, arrays);
  return std::make_unique<FitOf<double>>(spec, arrays);
}

}  // namespace nmf
