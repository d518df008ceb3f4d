/**
 * Paddle's Adam optimizer (`OptimizerBuilder.optimizer.type: Adam`, fluid.optimizer.Adam) with
 * the same L2Decay regularisation as Momentum: the regulariser adds decay * param to the
 * gradient first, then per element
 *   m1 = beta1 * m1 + (1 - beta1) * g
 *   m2 = beta2 * m2 + (1 - beta2) * g^2
 *   lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
 *   param -= lr_t * m1 / (sqrt(m2) + epsilon * sqrt(1 - beta2^t))
 * which is Paddle's adam kernel, epsilon inside the bias correction included. t counts the
 * updates (1 at the first); every parameter steps together, so one count serves all of them.
 *
 * The update runs in TypeScript on a copy of each tensor (read, update, write back): the
 * parameters of the models trained here number in the millions at most, so it costs little
 * beside a training step and works on every backend. The moments are the optimizer's state,
 * sliced with their parameters by the pruner (slots()), saved in snapshots as
 * `<param>_moment1_0` / `<param>_moment2_0` (Paddle's names) with the update count as `@adam_t`.
 */
import { Tensor } from '../backend/tensor';
import type { Param } from '../graph/types';
import { DecayRules, OptimizerError, optimizerFail, stateSlot, stateTensor, stepTargets, type StateData, type TrainOptimizer } from './optimizer';

export interface AdamOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

const M1 = '_moment1_0';
const M2 = '_moment2_0';
const STEP = '@adam_t';

function fail(what: string, expected: string, got: unknown): never {
  return optimizerFail('Adam', what, expected, got);
}

function unitInterval(what: string, v: unknown, dflt: number): number {
  const x = v ?? dflt;
  if (typeof x !== 'number' || !Number.isFinite(x) || x < 0 || x >= 1) fail(what, 'a number in [0, 1)', x);
  return x;
}

export class AdamOptimizer implements TrainOptimizer {
  readonly type = 'Adam';
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private t = 0;
  private readonly m1 = new Map<string, Tensor>();
  private readonly m2 = new Map<string, Tensor>();

  constructor(
    private readonly rules: DecayRules,
    opts: AdamOptions = {},
  ) {
    this.beta1 = unitInterval('beta1', opts.beta1, 0.9);
    this.beta2 = unitInterval('beta2', opts.beta2, 0.999);
    const eps = opts.epsilon ?? 1e-8;
    if (typeof eps !== 'number' || !Number.isFinite(eps) || eps <= 0) fail('epsilon', 'a finite number > 0', eps);
    this.epsilon = eps;
  }

  /** Decay and trainability from the model's parameter list, as MomentumOptimizer.forParams. */
  static forParams(params: Iterable<Param>, opts: AdamOptions & { l2?: number; normDecay?: number } = {}): AdamOptimizer {
    return new AdamOptimizer(DecayRules.forParams(params, opts), opts);
  }

  /** Updates done so far (the t of the bias correction). */
  get steps(): number {
    return this.t;
  }

  decayOf(name: string): number {
    return this.rules.decayOf(name);
  }

  step(params: Map<string, Tensor>, grads: Map<string, Tensor>, lr: number): void {
    const targets = [...stepTargets('Adam', this.rules, params, grads, lr)];
    const t = this.t + 1;
    const b1p = Math.pow(this.beta1, t);
    const b2p = Math.pow(this.beta2, t);
    const lrT = (lr * Math.sqrt(1 - b2p)) / (1 - b1p);
    const epsT = this.epsilon * Math.sqrt(1 - b2p);
    const { beta1, beta2 } = this;
    const sqrt = Math.sqrt;
    for (const { name, param, grad } of targets) {
      const decay = this.rules.decayOf(name);
      const m1t = stateSlot('Adam', 'moments', this.m1, name, param);
      const m2t = stateSlot('Adam', 'moments', this.m2, name, param);
      const p = param.toArray();
      const g = grad.toArray();
      const a = m1t.toArray();
      const b = m2t.toArray();
      for (let i = 0; i < p.length; i++) {
        const gi = g[i] + decay * p[i];
        const ai = beta1 * a[i] + (1 - beta1) * gi;
        const bi = beta2 * b[i] + (1 - beta2) * gi * gi;
        a[i] = ai;
        b[i] = bi;
        p[i] -= (lrT * ai) / (sqrt(bi) + epsT);
      }
      param.set(p);
      m1t.set(a);
      m2t.set(b);
    }
    this.t = t;
  }

  slots(): Record<string, Map<string, Tensor>> {
    return { moment1: this.m1, moment2: this.m2 };
  }

  stateTensors(): Array<{ name: string; tensor: Tensor }> {
    const out: Array<{ name: string; tensor: Tensor }> = [];
    for (const [n, t] of this.m1) out.push({ name: n + M1, tensor: t });
    for (const [n, t] of this.m2) out.push({ name: n + M2, tensor: t });
    if (this.t > 0) out.push({ name: STEP, tensor: Tensor.from([this.t], [1]) });
    return out;
  }

  loadState(m: Map<string, StateData>): void {
    if (!(m instanceof Map)) fail('state', 'a Map from state name to data', m);
    const m1 = new Map<string, Tensor>();
    const m2 = new Map<string, Tensor>();
    let t = 0;
    try {
      for (const [name, d] of m) {
        const tensor = stateTensor('Adam', `the state ${name}`, d);
        if (name === STEP) {
          const v = tensor.toArray()[0];
          tensor.dispose();
          if (!(Number.isInteger(v) && v >= 1)) fail(STEP, 'a positive integer update count', v);
          t = v;
        } else if (name.endsWith(M1)) m1.set(name.slice(0, -M1.length), tensor);
        else if (name.endsWith(M2)) m2.set(name.slice(0, -M2.length), tensor);
        else {
          tensor.dispose();
          fail(`state ${name}`, `an Adam moment (<param>${M1} or <param>${M2}) or ${STEP}`, name);
        }
      }
      if (m1.size !== m2.size || [...m1.keys()].some((k) => !m2.has(k))) fail('state', 'both moments of every parameter', `${m1.size} first and ${m2.size} second moments`);
      if (m1.size > 0 && t === 0) fail('state', `the update count ${STEP} beside the moments`, 'none');
    } catch (e) {
      m1.forEach((x) => x.dispose());
      m2.forEach((x) => x.dispose());
      throw e;
    }
    this.dispose();
    for (const [k, v] of m1) this.m1.set(k, v);
    for (const [k, v] of m2) this.m2.set(k, v);
    this.t = t;
  }

  dispose(): void {
    this.m1.forEach((x) => x.dispose());
    this.m2.forEach((x) => x.dispose());
    this.m1.clear();
    this.m2.clear();
    this.t = 0;
  }
}
