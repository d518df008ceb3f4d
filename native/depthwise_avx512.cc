// Depthwise convolution loops of depthwise_impl.h compiled for AVX512 (CMakeLists.txt gives
// this file its ISA flags); called only after the CPU check in depthwise.cc. Empty off x86-64.
#if defined(__x86_64__)
#include "depthwise_impl.h"

SP_DW_ISA_EXPORTS(avx512)
#endif
