/**
 * Parameter initialisation from each Param's InitSpec with a seeded generator, so that one
 * seed reproduces every run. Each parameter draws from its own stream, seeded by the run seed
 * and a hash of the parameter's name: adding, removing or reordering layers never changes the
 * initial values of the others.
 *
 * Generator: a 32-bit counter through an integer mixing function (splitmix-style), uniforms in
 * [0, 1) with 32 bits; normals by Box-Muller. Specs the models use, as PaddlePaddle defines them:
 *   MSRA (uniform):  U(-sqrt(6 / fan_in), +sqrt(6 / fan_in)), fan_in = C/groups * KH * KW
 *   conv default:    N(0, sqrt(2 / (KH * KW * C_in)))  (C_in: all input channels)
 *   Xavier (uniform): U(-sqrt(6 / (fan_in + fan_out)), ...) for fc weights
 *   constants:       BN scale 1, offset 0, mean 0, variance 1, biases 0.
 */
import type { Backend } from '../backend/backend';
import { getBackend } from '../backend/loader';
import { Tensor } from '../backend/tensor';
import type { Graph } from './graph';
import type { Dims, InitSpec, Param } from './types';

// Math's functions bound once: inside a vm context (jest's test environment) every global lookup in
// a hot loop goes through the context's interceptors and costs hundreds of nanoseconds.
const { imul, sqrt, log, cos, sin, PI, trunc } = Math;

/** 32-bit FNV-1a of a string. */
export function hashName(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Uniform [0, 1) stream fixed by a 32-bit seed. */
export function uniformStream(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = imul(z ^ (z >>> 16), 0x85ebca6b);
    z = imul(z ^ (z >>> 13), 0xc2b2ae35);
    z = (z ^ (z >>> 16)) >>> 0;
    return z / 4294967296;
  };
}

/** The values of one parameter under a spec, drawn from the stream of (seed, name). */
export function initValues(spec: InitSpec, n: number, seed: number, name: string): Float64Array {
  const out = new Float64Array(n);
  if (spec.type === 'constant') return out.fill(spec.value);
  const u = uniformStream((trunc(seed) ^ hashName(name)) >>> 0);
  if (spec.type === 'uniform') {
    for (let i = 0; i < n; i++) out[i] = spec.low + u() * (spec.high - spec.low);
    return out;
  }
  for (let i = 0; i < n; i += 2) {
    const r = sqrt(-2 * log(1 - u()));
    const t = 2 * PI * u();
    out[i] = spec.mean + spec.std * r * cos(t);
    if (i + 1 < n) out[i + 1] = spec.mean + spec.std * r * sin(t);
  }
  return out;
}

/** MSRA uniform for a conv weight [OC, C/groups, KH, KW] (fan_in = C/groups * KH * KW). */
export function msraUniform(shape: Dims): InitSpec {
  const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
  const limit = Math.sqrt(6 / fanIn);
  return { type: 'uniform', low: -limit, high: limit };
}

/** Paddle's default conv initialiser: N(0, sqrt(2 / (KH * KW * C_in))). */
export function convDefault(kh: number, kw: number, cin: number): InitSpec {
  return { type: 'normal', mean: 0, std: Math.sqrt(2 / (kh * kw * cin)) };
}

/** Xavier uniform for an fc weight [in, out]. */
export function xavierUniform(fanIn: number, fanOut: number): InitSpec {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return { type: 'uniform', low: -limit, high: limit };
}

export const constant = (value: number): InitSpec => ({ type: 'constant', value });

/**
 * Gives every parameter (or those without data, with onlyMissing) fresh values on a backend.
 * Returns the parameters initialised.
 */
export function initParams(graph: Graph, opts: { seed?: number; backend?: Backend<any>; onlyMissing?: boolean } = {}): Param[] {
  const seed = opts.seed ?? 0;
  const backend = opts.backend ?? getBackend();
  const done: Param[] = [];
  for (const p of graph.params.values()) {
    if (opts.onlyMissing && p.tensor) continue;
    const n = p.shape.reduce((a, b) => a * b, 1);
    p.tensor?.dispose();
    p.tensor = Tensor.from(initValues(p.init, n, seed, p.name), p.shape, backend);
    done.push(p);
  }
  return done;
}
