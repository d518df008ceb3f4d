// batch_norm_act_train_forward's and batch_norm_act_backward's channels for AVX2 (norm_impl.h); called only after a run-time CPU check.
#if defined(__x86_64__)
#include "norm_impl.h"
SP_NORM_DEFINE(avx2)
#endif
