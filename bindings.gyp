# The slimprune CPU addon described for node-gyp, the same build as CMakeLists.txt without CUDA:
# native/*.cc at generic x86-64, plus native/*_avx2.cc and native/*_avx512.cc compiled with their
# ISA flags (gyp has no per-file flags, so each ISA is a static library of its own, linked into
# the addon; those kernels run only after the run-time CPU check in native/cpu.cc); the norm_*
# copies also get -ffp-contract=off, as in CMakeLists.txt.
#
# node-gyp only reads a file named binding.gyp in its working directory and always builds into
# ./build, so `npm run build:gyp` (scripts/build-gyp.js) copies this file to build-gyp/binding.gyp
# and passes the repository root as sp_root; the addon lands in build-gyp/Release/slimprune.node.
{
  'variables': {
    'sp_root%': '.',
  },
  'target_defaults': {
    'defines': ['NAPI_VERSION=8', 'NAPI_DISABLE_CPP_EXCEPTIONS', 'NODE_ADDON_API_DISABLE_DEPRECATED'],
    'include_dirs': [
      "<!(node -p \"require('node-addon-api').include_dir\")",
      '<(sp_root)/native',
    ],
    'cflags': ['-O3', '-fno-math-errno', '-fPIC', '-pthread', '-Wall', '-Wno-unused-function'],
    'cflags_cc': ['-std=gnu++17', '-fexceptions'],
    'cflags_cc!': ['-fno-exceptions'],
    'ldflags': ['-pthread'],
  },
  'targets': [
    {
      'target_name': 'slimprune_avx2',
      'type': 'static_library',
      'sources': ['<!@(node <(sp_root)/scripts/gyp-sources.js <(sp_root) avx2)'],
      'cflags': ['-mavx2', '-mfma', '-mf16c'],
    },
    {
      'target_name': 'slimprune_avx512',
      'type': 'static_library',
      'sources': ['<!@(node <(sp_root)/scripts/gyp-sources.js <(sp_root) avx512)'],
      'cflags': ['-mavx512f', '-mavx512dq', '-mavx512bw', '-mavx512vl', '-mavx2', '-mfma'],
    },
    {
      'target_name': 'slimprune_norm_avx2',
      'type': 'static_library',
      'sources': ['<!@(node <(sp_root)/scripts/gyp-sources.js <(sp_root) norm-avx2)'],
      'cflags': ['-mavx2', '-mfma', '-mf16c', '-ffp-contract=off'],
    },
    {
      'target_name': 'slimprune_norm_avx512',
      'type': 'static_library',
      'sources': ['<!@(node <(sp_root)/scripts/gyp-sources.js <(sp_root) norm-avx512)'],
      'cflags': ['-mavx512f', '-mavx512dq', '-mavx512bw', '-mavx512vl', '-mavx2', '-mfma', '-ffp-contract=off', '-mprefer-vector-width=512'],
    },
    {
      'target_name': 'slimprune',
      'sources': ['<!@(node <(sp_root)/scripts/gyp-sources.js <(sp_root) generic)'],
      'dependencies': ['slimprune_avx2', 'slimprune_avx512', 'slimprune_norm_avx2', 'slimprune_norm_avx512'],
    },
  ],
}
