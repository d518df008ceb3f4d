/**
 * Paddle's Momentum optimizer with L2Decay regularisation, on the engine's sgd_momentum kernel
 * (so it runs wherever the parameters live): per parameter,
 *   v = momentum * v + (grad + decay * param);  param -= lr * v
 * which is Paddle's order: the regulariser adds decay * param to the gradient, then the
 * momentum op updates the velocity and the parameter.
 *
 * The decay of a parameter is, in this order: decayOf(name) when that gives a number (the
 * model's own per-parameter coefficient, see MomentumOptimizer.forParams); normDecay for
 * norm parameters (isNormParam, by default BN / affine scale and offset by name); otherwise
 * the regulariser's factor l2. Parameters whose isTrainable(name) is false are not updated.
 *
 * The velocities are the optimizer's state: state() returns the live map, so the pruner can
 * slice it with the parameters (pruner.apply(graph, plan, {optimizerState: optimizer.slots()})).
 */
import * as ops from '../backend/ops';
import { Tensor } from '../backend/tensor';
import type { Param } from '../graph/types';

export interface MomentumOptions {
  /** default 0.9 */
  momentum?: number;
  /** the regulariser's L2 factor for ordinary weights; default 0 */
  l2?: number;
  /** L2 factor of norm parameters; default 0 */
  normDecay?: number;
  /** default: isNormParamName */
  isNormParam?: (name: string) => boolean;
  /** a parameter's own coefficient, overriding l2 / normDecay; undefined defers to them */
  decayOf?: (name: string) => number | undefined;
  /** default: every parameter with a gradient is trainable */
  isTrainable?: (name: string) => boolean;
}

/** Velocity data as a checkpoint holds it: bare arrays, {data, shape} or tensors. */
export type VelocityData = Float32Array | Float64Array | { data: ArrayLike<number>; shape: number[] } | Tensor;
export type StateData = VelocityData;

export class OptimizerError extends Error {
  override name = 'OptimizerError';
}

/** Throws `<who>: expected <expected> for <what>, got <got>` (arrays shown as [a, b]). */
export function optimizerFail(who: string, what: string, expected: string, got: unknown): never {
  const shown = Array.isArray(got) ? `[${got.join(', ')}]` : typeof got === 'string' ? JSON.stringify(got) : String(got);
  throw new OptimizerError(`${who}: expected ${expected} for ${what}, got ${shown}`);
}

function fail(what: string, expected: string, got: unknown): never {
  return optimizerFail('MomentumOptimizer', what, expected, got);
}

/**
 * The parameters one step updates: every trainable one that has a gradient, with the step's
 * arguments checked once (`who` names the optimizer in the messages).
 */
export function* stepTargets(
  who: string,
  rules: DecayRules,
  params: Map<string, Tensor>,
  grads: Map<string, Tensor>,
  lr: number,
): Generator<{ name: string; param: Tensor; grad: Tensor }> {
  if (!(params instanceof Map)) optimizerFail(who, 'params', 'a Map from parameter name to tensor', params);
  if (!(grads instanceof Map)) optimizerFail(who, 'grads', 'a Map from parameter name to tensor', grads);
  if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) optimizerFail(who, 'lr', 'a finite learning rate >= 0', lr);
  for (const [name, grad] of grads) {
    if (!rules.isTrainable(name)) continue;
    const param = params.get(name);
    if (!param) throw new OptimizerError(`${who}: expected a parameter named ${name} (it has a gradient), found none in params`);
    if (grad.size !== param.size || grad.shape.some((d, i) => d !== param.shape[i])) {
      optimizerFail(who, `the gradient of ${name}`, `shape [${param.shape.join(', ')}] (as its parameter)`, grad.shape);
    }
    yield { name, param, grad };
  }
}

/**
 * A parameter's optimizer state in `slots` (velocity, a moment) on the parameter's backend and
 * in its shape: created zero when absent; flat arrays from loadState take the parameter's shape
 * on first use; anything else of another shape is state that was not pruned with its parameter.
 */
export function stateSlot(who: string, what: string, slots: Map<string, Tensor>, name: string, param: Tensor): Tensor {
  let s = slots.get(name);
  if (!s) {
    s = Tensor.zeros(param.shape, param.backend);
    slots.set(name, s);
    return s;
  }
  const sameShape = s.shape.length === param.shape.length && s.shape.every((d, i) => d === param.shape[i]);
  if (!sameShape && (s.rank !== 1 || s.size !== param.size)) {
    optimizerFail(who, `the ${what} of ${name}`, `shape [${param.shape.join(', ')}] (as its parameter; prune optimizer state with the params)`, s.shape);
  }
  if (!sameShape || s.backend !== param.backend) {
    const moved = Tensor.from(s.toArray(), param.shape, param.backend);
    s.dispose();
    s = moved;
    slots.set(name, s);
  }
  return s;
}

/** A copy of checkpoint state data as a tensor (bare arrays become flat tensors). */
export function stateTensor(who: string, what: string, d: StateData): Tensor {
  if (d instanceof Tensor) return d.clone();
  if (d instanceof Float32Array || d instanceof Float64Array) return Tensor.from(d, [d.length]);
  if (d && typeof d === 'object' && Array.isArray(d.shape) && d.data && typeof d.data.length === 'number') return Tensor.from(d.data, d.shape);
  return optimizerFail(who, what, 'a Float32Array, {data, shape} or a Tensor', d);
}

function coef(what: string, v: unknown, dflt: number): number {
  const x = v ?? dflt;
  if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) fail(what, 'a finite number >= 0', x);
  return x;
}

/**
 * Norm parameters by their PaddleDetection names: `<layer>.bn.scale|offset` (YOLOv3 head),
 * `<conv>_bn_scale|offset` (MobileNet, DarkNet), `bn<...>_scale|offset` (ResNet's affine_channel).
 */
export function isNormParamName(name: string): boolean {
  return /\.bn\.(scale|offset)$/.test(name) || /_bn_(scale|offset)$/.test(name) || /^bn[^.]*_(scale|offset)$/.test(name);
}

/** Per-parameter L2 coefficients and trainability, shared by the optimizers. */
export class DecayRules {
  readonly l2: number;
  readonly normDecay: number;
  private readonly isNorm: (name: string) => boolean;
  private readonly own?: (name: string) => number | undefined;
  private readonly trainable?: (name: string) => boolean;

  constructor(opts: Omit<MomentumOptions, 'momentum'> = {}) {
    if (!opts || typeof opts !== 'object') fail('options', 'an object {momentum, l2, normDecay, isNormParam}', opts);
    this.l2 = coef('l2', opts.l2, 0);
    this.normDecay = coef('normDecay', opts.normDecay, 0);
    this.isNorm = opts.isNormParam ?? isNormParamName;
    this.own = opts.decayOf;
    this.trainable = opts.isTrainable;
  }

  /**
   * Rules from the model's parameter list: 'weight' params take their own l2 or the factor,
   * 'norm' params their own l2 or normDecay, 'none' params 0; non-trainable params (BN running
   * statistics, frozen layers) are skipped.
   */
  static forParams(params: Iterable<Param>, opts: { l2?: number; normDecay?: number } = {}): DecayRules {
    const byName = new Map<string, Param>();
    for (const p of params) byName.set(p.name, p);
    const l2 = coef('l2', opts.l2, 0);
    const normDecay = coef('normDecay', opts.normDecay, 0);
    return new DecayRules({
      l2,
      normDecay,
      isNormParam: (n) => byName.get(n)?.decay === 'norm' || (!byName.has(n) && isNormParamName(n)),
      decayOf: (n) => {
        const p = byName.get(n);
        if (!p) return undefined;
        if (p.decay === 'none') return p.l2 ?? 0;
        return p.l2 ?? (p.decay === 'norm' ? normDecay : l2);
      },
      isTrainable: (n) => byName.get(n)?.trainable ?? true,
    });
  }

  /** The L2 coefficient applied to a parameter. */
  decayOf(name: string): number {
    const own = this.own?.(name);
    if (own !== undefined) return coef(`the decay of ${name}`, own, 0);
    return this.isNorm(name) ? this.normDecay : this.l2;
  }

  isTrainable(name: string): boolean {
    return this.trainable ? this.trainable(name) : true;
  }
}

/** What the trainer needs of an optimizer (Momentum, Adam). */
export interface TrainOptimizer {
  readonly type: string;
  step(params: Map<string, Tensor>, grads: Map<string, Tensor>, lr: number): void;
  /** the state per slot name and parameter name, as the pruner's optimizerState option takes it (live maps) */
  slots(): Record<string, Map<string, Tensor>>;
  /** the state as named tensors, for a snapshot */
  stateTensors(): Array<{ name: string; tensor: Tensor }>;
  /** replaces the state with copies of what stateTensors() gave (by name) */
  loadState(m: Map<string, StateData>): void;
  dispose(): void;
}

export class MomentumOptimizer implements TrainOptimizer {
  readonly type = 'Momentum';
  readonly momentum: number;
  private readonly rules: DecayRules;
  private readonly velocity = new Map<string, Tensor>();

  constructor(opts: MomentumOptions = {}) {
    if (!opts || typeof opts !== 'object') fail('options', 'an object {momentum, l2, normDecay, isNormParam}', opts);
    this.momentum = coef('momentum', opts.momentum, 0.9);
    this.rules = new DecayRules(opts);
  }

  get l2(): number {
    return this.rules.l2;
  }

  get normDecay(): number {
    return this.rules.normDecay;
  }

  /** An optimizer whose decay and trainability come from the model's parameter list (DecayRules.forParams). */
  static forParams(params: Iterable<Param>, opts: { momentum?: number; l2?: number; normDecay?: number } = {}): MomentumOptimizer {
    const rules = DecayRules.forParams(params, opts);
    return new MomentumOptimizer({
      momentum: opts.momentum,
      l2: rules.l2,
      normDecay: rules.normDecay,
      decayOf: (n) => rules.decayOf(n),
      isTrainable: (n) => rules.isTrainable(n),
    });
  }

  /** The L2 coefficient applied to a parameter. */
  decayOf(name: string): number {
    return this.rules.decayOf(name);
  }

  /** One update of every parameter that has a gradient (and is trainable), in place. */
  step(params: Map<string, Tensor>, grads: Map<string, Tensor>, lr: number): void {
    for (const { name, param, grad } of stepTargets('MomentumOptimizer', this.rules, params, grads, lr)) {
      const v = stateSlot('MomentumOptimizer', 'velocity', this.velocity, name, param);
      ops.sgdMomentum(param, grad, v, { lr, momentum: this.momentum, l2: this.decayOf(name) });
    }
  }

  /** The velocity per parameter name: the live map (the pruner slices it in place). */
  state(): Map<string, Tensor> {
    return this.velocity;
  }

  /** The state as the pruner's optimizerState option takes it. */
  slots(): { velocity: Map<string, Tensor> } {
    return { velocity: this.velocity };
  }

  /** The velocities under their parameters' names. */
  stateTensors(): Array<{ name: string; tensor: Tensor }> {
    return [...this.velocity].map(([name, tensor]) => ({ name, tensor }));
  }

  /**
   * Replaces the state with copies of the given velocities. Bare arrays become flat tensors
   * that take their parameter's shape at the next step; give {data, shape} or tensors when
   * the state must be pruned before that.
   */
  loadState(m: Map<string, VelocityData>): void {
    if (!(m instanceof Map)) fail('state', 'a Map from parameter name to velocity', m);
    const next = new Map<string, Tensor>();
    try {
      for (const [name, d] of m) next.set(name, stateTensor('MomentumOptimizer', `the velocity of ${name}`, d));
    } catch (e) {
      next.forEach((t) => t.dispose());
      throw e;
    }
    this.dispose();
    for (const [k, t] of next) this.velocity.set(k, t);
  }

  /** Frees every velocity tensor. */
  dispose(): void {
    this.velocity.forEach((t) => t.dispose());
    this.velocity.clear();
  }
}
