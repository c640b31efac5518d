// A bounds-checking layer over the CBLAS entry points the kernels call, for the fuzz harnesses only.
//
// OpenBLAS is not instrumented, so AddressSanitizer cannot see a kernel hand it a matrix that runs past its buffer
// (a wrong shape or leading dimension): the BLAS would read or write out of bounds unseen. Each function here has
// the name and signature of the CBLAS one, so the harness binary's own definition interposes on the library's
// (the kernels' calls bind to it); it checks the arguments as the reference BLAS does (xerbla: dimensions ≥ 0,
// leading dimensions ≥ the row length), then asks ASan whether every row of every operand lies in addressable
// memory — not freed, not a redzone, not past its allocation — and aborts with a report if not, before forwarding
// to the library's function (dlsym RTLD_NEXT).
#include <cblas.h>
#include <dlfcn.h>
#include <sanitizer/asan_interface.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>

namespace {

[[noreturn]] void fail(const char* function, const char* what, long long a = 0, long long b = 0) {
  std::fprintf(stderr, "checked-cblas: %s: %s (%lld, %lld)\n", function, what, a, b);
  std::abort();
}

template <typename F>
F next(const char* name) {
  void* symbol = dlsym(RTLD_NEXT, name);
  if (symbol == nullptr) fail(name, "not found in the BLAS library");
  return reinterpret_cast<F>(symbol);
}

// A row-major rows×cols operand with leading dimension ld: every row [r·ld, r·ld + cols) must be addressable.
template <typename T>
void checkMatrix(const char* function, const char* name, const T* a, blasint rows, blasint cols, blasint ld) {
  if (rows < 0 || cols < 0) fail(function, "negative dimension", rows, cols);
  if (ld < (cols > 1 ? cols : 1)) fail(function, "leading dimension below the row length", ld, cols);
  if (rows == 0 || cols == 0) return;
  if (a == nullptr) fail(function, "null operand", rows, cols);
  for (blasint r = 0; r < rows; ++r) {
    const T* row = a + static_cast<std::ptrdiff_t>(r) * ld;
    if (void* bad = __asan_region_is_poisoned(const_cast<T*>(row), static_cast<std::size_t>(cols) * sizeof(T))) {
      std::fprintf(stderr, "checked-cblas: %s: operand %s row %d of %d×%d (ld %d) reaches unaddressable byte %p\n",
                   function, name, static_cast<int>(r), static_cast<int>(rows), static_cast<int>(cols),
                   static_cast<int>(ld), bad);
      __asan_describe_address(bad);
      std::abort();
    }
  }
}

// A strided vector of n entries.
template <typename T>
void checkVector(const char* function, const char* name, const T* x, blasint n, blasint inc) {
  if (n < 0) fail(function, "negative length", n);
  if (inc == 0) fail(function, "zero increment");
  if (n == 0) return;
  const blasint step = inc > 0 ? inc : -inc;
  for (blasint i = 0; i < n; ++i) {
    const T* entry = x + static_cast<std::ptrdiff_t>(i) * step;
    if (void* bad = __asan_region_is_poisoned(const_cast<T*>(entry), sizeof(T))) {
      std::fprintf(stderr, "checked-cblas: %s: vector %s entry %d of %d (inc %d) is unaddressable\n", function, name,
                   static_cast<int>(i), static_cast<int>(n), static_cast<int>(inc));
      __asan_describe_address(bad);
      std::abort();
    }
  }
}

template <typename T>
void checkGemm(const char* function, CBLAS_ORDER order, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint m, blasint n,
               blasint k, const T* A, blasint lda, const T* B, blasint ldb, const T* C, blasint ldc) {
  if (order != CblasRowMajor) fail(function, "the kernels are row-major");
  const bool transA = ta != CblasNoTrans, transB = tb != CblasNoTrans;
  checkMatrix(function, "A", A, transA ? k : m, transA ? m : k, lda);
  checkMatrix(function, "B", B, transB ? n : k, transB ? k : n, ldb);
  checkMatrix(function, "C", C, m, n, ldc);
}

template <typename T>
void checkSyrk(const char* function, CBLAS_ORDER order, CBLAS_TRANSPOSE t, blasint n, blasint k, const T* A,
               blasint lda, const T* C, blasint ldc) {
  if (order != CblasRowMajor) fail(function, "the kernels are row-major");
  const bool trans = t != CblasNoTrans;
  checkMatrix(function, "A", A, trans ? k : n, trans ? n : k, lda);
  checkMatrix(function, "C", C, n, n, ldc);
}

}  // namespace

extern "C" {

void cblas_dgemm(OPENBLAS_CONST CBLAS_ORDER order, OPENBLAS_CONST CBLAS_TRANSPOSE ta, OPENBLAS_CONST CBLAS_TRANSPOSE tb,
                 OPENBLAS_CONST blasint m, OPENBLAS_CONST blasint n, OPENBLAS_CONST blasint k,
                 OPENBLAS_CONST double alpha, OPENBLAS_CONST double* A, OPENBLAS_CONST blasint lda,
                 OPENBLAS_CONST double* B, OPENBLAS_CONST blasint ldb, OPENBLAS_CONST double beta, double* C,
                 OPENBLAS_CONST blasint ldc) {
  checkGemm("cblas_dgemm", order, ta, tb, m, n, k, A, lda, B, ldb, C, ldc);
  static const auto real = next<decltype(&cblas_dgemm)>("cblas_dgemm");
  real(order, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

void cblas_sgemm(OPENBLAS_CONST CBLAS_ORDER order, OPENBLAS_CONST CBLAS_TRANSPOSE ta, OPENBLAS_CONST CBLAS_TRANSPOSE tb,
                 OPENBLAS_CONST blasint m, OPENBLAS_CONST blasint n, OPENBLAS_CONST blasint k,
                 OPENBLAS_CONST float alpha, OPENBLAS_CONST float* A, OPENBLAS_CONST blasint lda,
                 OPENBLAS_CONST float* B, OPENBLAS_CONST blasint ldb, OPENBLAS_CONST float beta, float* C,
                 OPENBLAS_CONST blasint ldc) {
  checkGemm("cblas_sgemm", order, ta, tb, m, n, k, A, lda, B, ldb, C, ldc);
  static const auto real = next<decltype(&cblas_sgemm)>("cblas_sgemm");
  real(order, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

void cblas_dsyrk(OPENBLAS_CONST CBLAS_ORDER order, OPENBLAS_CONST CBLAS_UPLO uplo, OPENBLAS_CONST CBLAS_TRANSPOSE t,
                 OPENBLAS_CONST blasint n, OPENBLAS_CONST blasint k, OPENBLAS_CONST double alpha,
                 OPENBLAS_CONST double* A, OPENBLAS_CONST blasint lda, OPENBLAS_CONST double beta, double* C,
                 OPENBLAS_CONST blasint ldc) {
  checkSyrk("cblas_dsyrk", order, t, n, k, A, lda, C, ldc);
  static const auto real = next<decltype(&cblas_dsyrk)>("cblas_dsyrk");
  real(order, uplo, t, n, k, alpha, A, lda, beta, C, ldc);
}

void cblas_ssyrk(OPENBLAS_CONST CBLAS_ORDER order, OPENBLAS_CONST CBLAS_UPLO uplo, OPENBLAS_CONST CBLAS_TRANSPOSE t,
                 OPENBLAS_CONST blasint n, OPENBLAS_CONST blasint k, OPENBLAS_CONST float alpha,
                 OPENBLAS_CONST float* A, OPENBLAS_CONST blasint lda, OPENBLAS_CONST float beta, float* C,
                 OPENBLAS_CONST blasint ldc) {
  checkSyrk("cblas_ssyrk", order, t, n, k, A, lda, C, ldc);
  static const auto real = next<decltype(&cblas_ssyrk)>("cblas_ssyrk");
  real(order, uplo, t, n, k, alpha, A, lda, beta, C, ldc);
}

void cblas_dgemv(OPENBLAS_CONST CBLAS_ORDER order, OPENBLAS_CONST CBLAS_TRANSPOSE t, OPENBLAS_CONST blasint m,
                 OPENBLAS_CONST blasint n, OPENBLAS_CONST double alpha, OPENBLAS_CONST double* A,
                 OPENBLAS_CONST blasint lda, OPENBLAS_CONST double* x, OPENBLAS_CONST blasint incx,
                 OPENBLAS_CONST double beta, double* y, OPENBLAS_CONST blasint incy) {
  if (order != CblasRowMajor) fail("cblas_dgemv", "the kernels are row-major");
  const bool trans = t != CblasNoTrans;
  checkMatrix("cblas_dgemv", "A", A, m, n, lda);
  checkVector("cblas_dgemv", "x", x, trans ? m : n, incx);
  checkVector("cblas_dgemv", "y", y, trans ? n : m, incy);
  static const auto real = next<decltype(&cblas_dgemv)>("cblas_dgemv");
  real(order, t, m, n, alpha, A, lda, x, incx, beta, y, incy);
}

}  // extern "C"
