/**
 * The validated op layer: every op of the engine as a function of Tensors. Each op checks its
 * arguments once (message shape `<op>: expected <what> for <name>, got <value>`), computes the
 * kernel's integer geometry, allocates its outputs on the inputs' backend (all inputs must
 * share one) and calls one or a few kernels of the contract (src/backend/kernels.ts).
 * Implementations live in src/backend/op/, one file per family.
 */
export { OpArgumentError, type Padding, type Pads } from './op/check';
export { conv2d, conv2dBackwardInput, conv2dBackwardFilter, convGeometry, type Conv2dAttrs, type ConvGeometry } from './op/conv';
export {
  conv2dTranspose, conv2dTransposeBackwardInput, conv2dTransposeBackwardFilter, transposeGeometry, type Conv2dTransposeAttrs,
} from './op/conv_transpose';
export { gemm, matmul, matmulBackward, fullyConnected, fullyConnectedBackward, type GemmAttrs } from './op/gemm';
export { batchNormTrain, batchNormInfer, batchNormBackward, affineChannel, affineChannelBackward, bnFold, type BatchNormAttrs } from './op/norm';
export { gatherAxis, scatterAddAxis, concat, split, copy, channelCopy } from './op/layout';
export { activation, activationBackward, ACTIVATIONS, DEFAULT_ALPHA, type ActivationName } from './op/activation';
export { conv2dAct, dwpwAct, dwpwPrefers, batchNormActTrain, batchNormActBackward, isFusableActivation, FUSED_ACTIVATIONS, type FusedActivationName } from './op/fused';
export { pool2d, pool2dBackward, poolGeometry, type Pool2dAttrs } from './op/pool';
export { upsample, upsampleBackward, upsampleGeometry, type UpsampleAttrs } from './op/upsample';
export { roiAlign, roiAlignBackward, roiAlignGeometry, type RoiAlignAttrs, type RoiBatch } from './op/roi_align';
export { add, sub, mul, binaryBackward, scale, type BinaryOp } from './op/binary';
export { reduceSum, mean, softmax, softmaxBackward } from './op/reduce';
export { sgdMomentum, sigmoidBce, sigmoidBceBackward, axpy, zerosLike, onesLike, fullLike, emptyLike, type SgdAttrs } from './op/train';
