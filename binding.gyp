{
  # The native backend: build/Release/nmfkit.node, loaded by src/backends/native.ts through node-gyp-build.
  # It needs a C++17 compiler and a CBLAS: OpenBLAS (via pkg-config) on Linux, Accelerate on macOS. When this
  # build fails, scripts/native-install.cjs says what to install and nmfkit runs on its WebAssembly backend.
  "variables": {
    # A failing pkg-config must stop the build with a message that says what to install.
    "openblas_missing": "echo 'nmfkit: OpenBLAS not found by pkg-config; install pkg-config and libopenblas-dev (Debian/Ubuntu: apt-get install -y pkg-config libopenblas-dev; Fedora: dnf install -y pkgconf openblas-devel)' >&2; exit 1;",
    # NMFKIT_STATIC_OPENBLAS=1 (set by `npm run prebuilds` and `npm run prebuilds:arm64`) links OpenBLAS's static
    # archive (libopenblas.a in pkg-config's libdir; Debian: libopenblas-pthread-dev) into the addon, so a prebuilt
    # binary needs no OpenBLAS at run time. A cross build points pkg-config at the target's .pc files
    # (scripts/prebuild-arm64.sh: PKG_CONFIG_LIBDIR), so every path here is the target architecture's. The addon calls only CBLAS and openblas_* functions; the archive's Fortran LAPACK objects, the
    # only ones that need libgfortran, are not pulled in.
    "static_openblas": "<!(node -p \"process.env.NMFKIT_STATIC_OPENBLAS === '1'\")"
  },
  "targets": [
    {
      "target_name": "nmfkit",
      "sources": [
        "native/addon.cc",
        "native/arena.cc",
        "native/blas.cc",
        "native/fit.cc",
        "native/nmfd.cc",
        "native/small-products.cc",
        "native/spectral.cc",
        "native/team.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_CPP_EXCEPTIONS",
        # Backstop: node-addon-api also converts any std::exception that escapes a callback (addon.cc already
        # catches them all; this keeps a missed one from calling std::terminate).
        "NODE_ADDON_API_CPP_EXCEPTIONS_ALL",
        "NODE_ADDON_API_DISABLE_DEPRECATED"
      ],
      # C++ exceptions carry every error (bad sizes, out of memory) to the glue, which turns them into JS errors.
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": [
        "-std=c++17",
        "-fexceptions",
        "-O3",
        "-Wall",
        "-Wextra",
        # No fused multiply-add in the elementwise code, so results match the WebAssembly backend (which has none)
        # on every architecture.
        "-ffp-contract=off",
        # Neither changes a computed value: nmfkit never reads the floating-point exception flags or errno. They let
        # GCC vectorise loops with selects (the polynomial exp and log of native/exp-log.h, the floors of the ratio
        # form) and square roots; clang assumes both by default.
        "-fno-trapping-math",
        "-fno-math-errno",
        # GCC notes that 32-byte vectors change the calling convention in a build without AVX; the kernels that use
        # them (small-products.cc, spectral.cc) inline every helper, so no such vector crosses a call.
        "-Wno-psabi"
      ],
      "conditions": [
        ["target_arch=='x64'", {
          # Portable: binaries are prebuilt and shipped, so no -march=native. x86-64-v2 (SSE4.2) runs on every
          # x86-64 CPU since ~2009; OpenBLAS picks its own kernels for the CPU at run time anyway.
          "cflags_cc": ["-march=x86-64-v2"]
        }],
        ["OS=='linux'", {
          "cflags_cc": [
            "<!@(pkg-config --cflags openblas || { <(openblas_missing) })"
          ],
          "conditions": [
            ["static_openblas=='true'", {
              "libraries": ["<!(pkg-config --variable=libdir openblas || { <(openblas_missing) })/libopenblas.a", "-lpthread", "-lm"],
              # OpenBLAS's symbols stay inside the addon instead of being exported from it.
              "ldflags": ["-Wl,--exclude-libs,ALL"]
            }, {
              "libraries": ["<!@(pkg-config --libs openblas || { <(openblas_missing) })"]
            }]
          ]
        }],
        ["OS=='mac'", {
          # Accelerate's current CBLAS (ACCELERATE_NEW_LAPACK) exists from macOS 13.3 on.
          "defines": ["ACCELERATE_NEW_LAPACK"],
          "libraries": ["-framework Accelerate"],
          "xcode_settings": {
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "MACOSX_DEPLOYMENT_TARGET": "13.3",
            "OTHER_CPLUSPLUSFLAGS": ["-O3", "-Wall", "-Wextra", "-ffp-contract=off", "-fno-trapping-math", "-fno-math-errno"]
          }
        }]
      ]
    }
  ]
}
