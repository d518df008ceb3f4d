/**
 * Learning-rate schedules as PaddleDetection's static LearningRate builds them: the schedulers
 * are applied in order, each receiving base_lr and the schedule built so far.
 *
 * - PiecewiseDecay {gamma, milestones, values}: ignores the schedule before it. The values are
 *   `values` when given (one more than milestones), else base_lr, base_lr * gamma,
 *   base_lr * gamma^2, ... for a scalar gamma, or base_lr, base_lr * gamma[0], base_lr *
 *   gamma[1], ... for a list. lr = values[k] where k is the number of milestones <= iter.
 * - LinearWarmup {start_factor, steps}: wraps the schedule before it. For iter < steps,
 *   lr = start + (base_lr - start) * iter / steps with start = base_lr * start_factor (it ends
 *   at base_lr, not at the wrapped value); from `steps` on, the wrapped schedule (base_lr
 *   when there is none).
 * - CosineDecay {max_iters}: ignores the schedule before it; lr = base_lr * (cos(pi * iter /
 *   max_iters) + 1) / 2 (past max_iters the cosine keeps going, as Paddle's does).
 * Iterations count from 0, the first training step.
 */

export type Schedule = (iter: number) => number;

export interface LearningRateConfig {
  base_lr: number;
  schedulers?: Array<Record<string, unknown>>;
}

export class LearningRateError extends Error {
  override name = 'LearningRateError';
}

function fail(what: string, expected: string, got: unknown): never {
  const shown = Array.isArray(got) ? `[${got.join(', ')}]` : typeof got === 'string' ? JSON.stringify(got) : typeof got === 'object' && got !== null ? JSON.stringify(got) : String(got);
  throw new LearningRateError(`LearningRate: expected ${expected} for ${what}, got ${shown}`);
}

function num(what: string, v: unknown, min = -Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) fail(what, min === -Infinity ? 'a finite number' : `a number >= ${min}`, v);
  return v;
}

function numList(what: string, v: unknown, min = -Infinity): number[] {
  if (!Array.isArray(v)) fail(what, 'a list of numbers', v);
  return v.map((x, i) => num(`${what}[${i}]`, x, min));
}

type Builder = (s: Record<string, unknown>, at: string, baseLr: number, prev: Schedule | null) => Schedule;

function piecewise(s: Record<string, unknown>, at: string, baseLr: number): Schedule {
  const milestones = numList(`${at}.milestones`, s.milestones ?? [60000, 80000], 0);
  milestones.forEach((m, i) => {
    if (i > 0 && m < milestones[i - 1]) fail(`${at}.milestones`, 'non-decreasing iterations', milestones);
  });
  let values: number[];
  if (s.values !== undefined && s.values !== null) {
    values = numList(`${at}.values`, s.values);
    if (values.length !== milestones.length + 1) fail(`${at}.values`, `${milestones.length + 1} values (one more than milestones)`, values);
  } else if (Array.isArray(s.gamma)) {
    const gammas = numList(`${at}.gamma`, s.gamma);
    if (gammas.length !== milestones.length) fail(`${at}.gamma`, `${milestones.length} factors (one per milestone)`, gammas);
    values = [baseLr, ...gammas.map((g) => baseLr * g)];
  } else {
    const gamma = num(`${at}.gamma`, s.gamma ?? 0.1);
    values = [baseLr];
    let lr = baseLr;
    for (let i = 0; i < milestones.length; i++) values.push((lr *= gamma));
  }
  return (iter) => {
    let k = 0;
    while (k < milestones.length && iter >= milestones[k]) k++;
    return values[k];
  };
}

function warmup(s: Record<string, unknown>, at: string, baseLr: number, prev: Schedule | null): Schedule {
  const steps = num(`${at}.steps`, s.steps ?? 500, 0);
  const start = baseLr * num(`${at}.start_factor`, s.start_factor ?? 1 / 3, 0);
  return (iter) => (iter < steps ? start + ((baseLr - start) * iter) / steps : prev ? prev(iter) : baseLr);
}

function cosine(s: Record<string, unknown>, at: string, baseLr: number): Schedule {
  const maxIters = num(`${at}.max_iters`, s.max_iters ?? 180000, 1);
  return (iter) => baseLr * 0.5 * (Math.cos((iter * Math.PI) / maxIters) + 1);
}

const BUILDERS: Record<string, Builder> = {
  PiecewiseDecay: piecewise,
  LinearWarmup: warmup,
  CosineDecay: cosine,
};

/** Names of the schedulers buildLearningRate knows. */
export const SCHEDULER_NAMES: readonly string[] = Object.keys(BUILDERS);

/** The schedule iter -> lr of a resolved `LearningRate` config section. */
export function buildLearningRate(cfg: LearningRateConfig): Schedule {
  if (!cfg || typeof cfg !== 'object') fail('LearningRate', 'a mapping {base_lr, schedulers}', cfg);
  const baseLr = num('base_lr', cfg.base_lr, 0);
  const list = cfg.schedulers ?? [];
  if (!Array.isArray(list)) fail('schedulers', 'a list of schedulers', list);
  let schedule: Schedule | null = null;
  list.forEach((s, i) => {
    const at = `schedulers[${i}]`;
    if (!s || typeof s !== 'object') fail(at, `a scheduler (one of ${SCHEDULER_NAMES.join(', ')})`, s);
    const type = (s as Record<string, unknown>).__type__;
    const build = typeof type === 'string' && Object.prototype.hasOwnProperty.call(BUILDERS, type) ? BUILDERS[type] : undefined;
    if (!build) fail(`${at} type`, `one of ${SCHEDULER_NAMES.join(', ')}`, type);
    schedule = build(s as Record<string, unknown>, `${at} (${type})`, baseLr, schedule);
  });
  const final: Schedule = schedule ?? (() => baseLr);
  return (iter: number) => {
    if (!Number.isInteger(iter) || iter < 0) fail('iter', 'a non-negative integer iteration', iter);
    return final(iter);
  };
}
