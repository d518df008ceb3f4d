// Odd command lines (flags_cases.ts) through the real CLI entry, main(argv), in child
// processes: exit 0, or exit 2 with one line on stderr (usage and config mistakes), or exit 1
// with one line for a stage not available; never a stack trace, an internal error message, a
// hang or a changed Object.prototype. SLIMPRUNE_FUZZ_SCALE=k runs k times as many cases.
import { describeFailures, fuzzScale, runCases, tally } from './config_runner';

const SEED = Number(process.env.SLIMPRUNE_FUZZ_SEED ?? 20261130);
const COUNT = Math.round(120 * fuzzScale());

test(`${COUNT} odd command lines: one clear line and the usage exit code, no hang, no pollution`, async () => {
  const r = await runCases('flags', SEED, COUNT, { batch: 2000, quietMs: 60_000 });
  const t = tally(r);
  console.log(`flags fuzz: seed ${SEED}, ${COUNT} cases, ${r.workers} worker(s): ${JSON.stringify(t)}`);
  expect(describeFailures(r, SEED, 'flags')).toBe('');
  expect(r.results.map((x) => x.i)).toEqual(Array.from({ length: COUNT }, (_, i) => i));
  expect(t.usage).toBeGreaterThan(COUNT / 2);
}, 180_000 * fuzzScale());
