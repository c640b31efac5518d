{
  # The benchmark's addon: gemmFloor (gemm-floor.cc), the BLAS floor the bench compares nmfkit's native kernel
  # with. Built by `npm run bench` into bench/native/build; not part of the nmfkit package.
  "targets": [
    {
      "target_name": "nmfkit_bench",
      "sources": ["gemm-floor.cc", "../../native/blas.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O3"],
      "conditions": [
        ["OS=='linux'", {
          "cflags_cc": ["<!@(pkg-config --cflags openblas)"],
          "libraries": ["<!@(pkg-config --libs openblas)"]
        }],
        ["OS=='mac'", {
          "defines": ["ACCELERATE_NEW_LAPACK"],
          "libraries": ["-framework Accelerate"],
          "xcode_settings": {"GCC_ENABLE_CPP_EXCEPTIONS": "YES", "CLANG_CXX_LANGUAGE_STANDARD": "c++17"}
        }]
      ]
    }
  ]
}
