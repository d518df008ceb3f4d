// `slimprune sensitivity --queue`: the same file through a BullMQ queue and one worker as
// measured in this process; flag refusals. Needs Debian's redis-server (skipped without it).
import * as fs from 'fs';
import * as path from 'path';
import { cli } from '../util/cli';
import { startWorker, type QueueWorker } from '../../src/queue/worker';
import { redisServer, startRedis, type RedisServer } from '../util/redis';
import { DIGITS_CFG, digitsFixture } from '../prune/sensitivity_fixture';

const P = 'yolo_block.0.2.conv.weights';
const have = redisServer();
if (!('path' in have)) console.log(`sensitivity --queue test skipped: ${have.reason}`);
const d = 'path' in have ? describe : describe.skip;

test('--queue refusals: a bad address, --jobs with it', async () => {
  const base = ['sensitivity', '-c', DIGITS_CFG, '-p', P];
  const bad = await cli(...base, '--queue', 'http://localhost:6379');
  expect(bad.code).toBe(2);
  expect(bad.err).toMatch(/--queue: expected redis:\/\/HOST:PORT\[\/DB\] \(the redis:\/\/ scheme\), got 'http:\/\/localhost:6379'/);
  expect((await cli(...base, '--queue', 'redis://127.0.0.1:6379', '--jobs', '2')).err).toMatch(/--jobs: expected it or --queue/);
});

d('through a queue', () => {
  let redis: RedisServer;
  let worker: QueueWorker | null = null;
  let dir = '';
  let opts: string[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    ({ dir, overrides: opts } = await digitsFixture());
  });
  afterAll(async () => {
    await worker?.close();
    await redis?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the file equals the in-process one; one line per point', async () => {
    const measure = (file: string, ...more: string[]) => cli('sensitivity', '-c', DIGITS_CFG, '-o', ...opts, '-p', P, '-r', '0.3 0.6', '-s', file, '--max_eval_batches', '1', ...more);
    const local = path.join(dir, 'local.json');
    expect((await measure(local)).code).toBe(0);
    worker = await startWorker({ queue: redis.url });
    const queued = path.join(dir, 'queued.json');
    const r = await measure(queued, '--queue', redis.url);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`on the queue at ${redis.url}`);
    expect(r.out.split('\n').filter((l) => /^\[\d\/2\] /.test(l))).toHaveLength(2);
    expect(r.out).toMatch(/measured 2, skipped 0 already in the file/);
    expect(fs.readFileSync(queued, 'utf8')).toBe(fs.readFileSync(local, 'utf8'));
  });
});
