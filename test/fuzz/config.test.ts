// Mutated real configs (config_mutate.ts), loaded, resolved and built as the CLI does, in
// child processes: each case must build or end in a ConfigError naming its file (or a clean
// "not available yet" for architectures not built yet), never another error, a hang or a
// changed Object.prototype. SLIMPRUNE_FUZZ_SCALE=k runs k times as many cases;
// SLIMPRUNE_FUZZ_SEED picks another seed.
import { describeFailures, fuzzScale, runCases, tally } from './config_runner';

const SEED = Number(process.env.SLIMPRUNE_FUZZ_SEED ?? 20261130);
const COUNT = Math.round(100 * fuzzScale());

test(`${COUNT} mutated configs: a model or one ConfigError naming the file, no hang, no pollution`, async () => {
  const r = await runCases('configs', SEED, COUNT, { batch: 1000, quietMs: 60_000 });
  const t = tally(r);
  console.log(`config fuzz: seed ${SEED}, ${COUNT} cases, ${r.workers} worker(s): ${JSON.stringify(t)}`);
  expect(describeFailures(r, SEED, 'configs')).toBe('');
  expect(r.results.map((x) => x.i)).toEqual(Array.from({ length: COUNT }, (_, i) => i));
  // Both paths are exercised: some mutations still build, most are refused.
  expect(t.ok).toBeGreaterThan(0);
  expect(t.config).toBeGreaterThan(0);
}, 180_000 * fuzzScale());
