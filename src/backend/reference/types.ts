/**
 * Shared types of the float64 reference kernels. Storages are Float64Arrays; the integer
 * geometry `p` is the contract's Int32Array (any array of numbers is accepted, so tests can
 * pass plain arrays).
 */
export type F64 = Float64Array;
export type Geom = ArrayLike<number>;
