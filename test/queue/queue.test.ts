/**
 * The sensitivity run on a BullMQ queue against a local redis-server, with workers in this
 * process measuring through the deterministic fake (fake_measurer.ts) in their measuring
 * processes: the file equals the in-process run's byte for byte, resume, a coordinator's jobs
 * picked up by the next one, one clear error for a bad param, an unreachable server or a
 * worker on another config. Skipped, with the reason printed, where redis-server is absent.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Queue, QueueEvents } from 'bullmq';
import { runSensitivityOnQueue } from '../../src/queue/coordinator';
import { startWorker, type QueueWorker } from '../../src/queue/worker';
import { measureJobId, QUEUE_NAME } from '../../src/queue/jobs';
import { connectionOf } from '../../src/queue/connection';
import { parseQueueUrl } from '../../src/queue/url';
import { runSensitivity } from '../../src/prune/sensitivity_run';
import { readSensitivityFile } from '../../src/prune/sensitivity_file';
import { fakeDigest, fakeMetric, FAKE_PARAMS } from './fake_measurer';
import { redisServer, startRedis, type RedisServer } from '../util/redis';

const FAKE = path.join(__dirname, 'fake_measurer.ts');
const RATIOS = [0.1, 0.3, 0.5, 0.7];
const have = redisServer();
if (!('path' in have)) console.log(`queue tests skipped: ${have.reason}`);
const d = 'path' in have ? describe : describe.skip;

d('sensitivity on a queue (fake measurer)', () => {
  let redis: RedisServer;
  let dir: string;
  const workers: QueueWorker[] = [];
  const lines: string[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-queue-'));
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.close()));
  });
  afterAll(async () => {
    await Promise.all(workers.splice(0).map((w) => w.close()));
    await redis?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const spec = (name: string, extra: string[] = []) => ({ config: `configs/${name}.yml`, overrides: [`trace=${path.join(dir, name + '.trace')}`, ...extra] });
  const traceOf = (name: string) => (fs.existsSync(path.join(dir, name + '.trace')) ? fs.readFileSync(path.join(dir, name + '.trace'), 'utf8').trim().split('\n') : []);
  const worker = async (concurrency = 1) => {
    const w = await startWorker({ queue: redis.url, concurrency, lockDurationMs: 5000, measurerModule: FAKE, log: (l) => lines.push(l) });
    workers.push(w);
    return w;
  };
  /** The same points measured in-process with the same fake, into `file`. */
  const inProcess = (file: string, s: { config: string; overrides: string[] }, params = FAKE_PARAMS) =>
    runSensitivity({ file, params, ratios: RATIOS, metric: 'mAP', configDigest: fakeDigest(s), base: async () => 0.8, evaluate: async (p, r) => fakeMetric(p, r) });
  const queueInspect = () => new Queue(QUEUE_NAME, { connection: connectionOf(parseQueueUrl(redis.url)) });

  test('two workers: every point once, the file byte-identical to the in-process run', async () => {
    await worker(1);
    await worker(2);
    const s = spec('two');
    const file = path.join(dir, 'two.json');
    const seen: Array<{ done: number; total: number; loss: number }> = [];
    const r = await runSensitivityOnQueue({ queue: redis.url, file, spec: s, params: FAKE_PARAMS, ratios: RATIOS, onMeasured: (m) => seen.push(m) });
    expect(r).toEqual({ measured: 12, skipped: 0 });
    expect(seen.map((m) => m.done)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(seen.every((m) => m.total === 12)).toBe(true);
    const single = path.join(dir, 'two-single.json');
    await inProcess(single, s);
    expect(fs.readFileSync(file, 'utf8')).toBe(fs.readFileSync(single, 'utf8'));
    // Each point measured exactly once, spread over more than one process.
    const starts = traceOf('two').filter((l) => l.startsWith('start'));
    expect(starts).toHaveLength(12);
    expect(new Set(starts.map((l) => l.split(' ').slice(2).join(' '))).size).toBe(12);
    expect(new Set(starts.map((l) => l.split(' ')[1])).size).toBeGreaterThan(1);
    // Collected jobs are removed: the file is the record.
    const q = queueInspect();
    try {
      expect(await q.getJobCounts('wait', 'active', 'completed', 'failed')).toEqual({ wait: 0, active: 0, completed: 0, failed: 0 });
    } finally {
      await q.close();
    }
    // A second run into another file: its connections are all closed when it returns (the
    // workers', open since the first run, stay).
    const sockets = () => process.getActiveResourcesInfo().filter((k) => k === 'TCPSocketWrap').length;
    const before = sockets();
    expect(await runSensitivityOnQueue({ queue: redis.url, file: path.join(dir, 'two-again.json'), spec: spec('two-again'), params: FAKE_PARAMS, ratios: RATIOS })).toEqual({ measured: 12, skipped: 0 });
    expect(sockets()).toBe(before);
  });

  test('without a worker the coordinator says so while it waits, and finishes once one starts', async () => {
    const s = spec('idle');
    const said: string[] = [];
    let started = false;
    const run = runSensitivityOnQueue({
      queue: redis.url, file: path.join(dir, 'idle.json'), spec: s, params: FAKE_PARAMS, ratios: RATIOS, idleMs: 200,
      onIdle: (m) => {
        said.push(m);
        if (!started) {
          started = true;
          void worker(1);
        }
      },
    });
    expect(await run).toEqual({ measured: 12, skipped: 0 });
    expect(said.length).toBeGreaterThanOrEqual(1);
    expect(said[0]).toContain(`no worker is connected to queue ${QUEUE_NAME} at ${redis.url}; waiting for one to measure the base metric`);
    expect(said[0]).toContain(`slimprune worker --queue ${redis.url}`);
  });

  test('resume: points already in the file are skipped and the file ends identical', async () => {
    await worker(1);
    const s = spec('resume');
    const file = path.join(dir, 'resume.json');
    await runSensitivity({ file, params: ['conv2.weights'], ratios: RATIOS, metric: 'mAP', configDigest: fakeDigest(s), base: async () => 0.8, evaluate: async (p, r) => fakeMetric(p, r) });
    const r = await runSensitivityOnQueue({ queue: redis.url, file, spec: s, params: FAKE_PARAMS, ratios: RATIOS });
    expect(r).toEqual({ measured: 8, skipped: 4 });
    expect(traceOf('resume').filter((l) => l.startsWith('start') && l.includes('conv2.weights'))).toEqual([]);
    const single = path.join(dir, 'resume-single.json');
    await inProcess(single, s);
    expect(fs.readFileSync(file, 'utf8')).toBe(fs.readFileSync(single, 'utf8'));
    // A file from another config is refused before anything is queued.
    await expect(runSensitivityOnQueue({ queue: redis.url, file, spec: spec('other'), params: FAKE_PARAMS, ratios: [0.9] })).rejects.toThrow(/measured on another config/);
    expect(traceOf('other')).toEqual([]);
  });

  test('jobs left by a stopped coordinator are collected by the next one, not measured again', async () => {
    const s = spec('left');
    const file = path.join(dir, 'left.json');
    const digest = fakeDigest(s);
    // What a coordinator stopped after queueing leaves behind: jobs with the deterministic ids,
    // one added twice (a no-op), then measured while nobody collects.
    const q = queueInspect();
    const events = new QueueEvents(QUEUE_NAME, { connection: connectionOf(parseQueueUrl(redis.url)) });
    try {
      await events.waitUntilReady();
      const data = (param: string, ratio: number) => ({ spec: s, configDigest: digest, metric: 'mAP', param, ratio });
      const a = await q.add('measure', data('conv1.weights', 0.1), { jobId: measureJobId(digest, s, 'conv1.weights', 0.1) });
      const again = await q.add('measure', data('conv1.weights', 0.1), { jobId: measureJobId(digest, s, 'conv1.weights', 0.1) });
      expect(again.id).toBe(a.id);
      const b = await q.add('measure', data('conv3.weights', 0.5), { jobId: measureJobId(digest, s, 'conv3.weights', 0.5) });
      expect(await q.getJobCounts('wait')).toEqual({ wait: 2 });
      await worker(1);
      await Promise.all([a.waitUntilFinished(events), b.waitUntilFinished(events)]);
    } finally {
      await events.close();
      await q.close();
    }
    expect(traceOf('left').filter((l) => l.startsWith('start'))).toHaveLength(2);
    const r = await runSensitivityOnQueue({ queue: redis.url, file, spec: s, params: FAKE_PARAMS, ratios: RATIOS });
    expect(r).toEqual({ measured: 12, skipped: 0 });
    const starts = traceOf('left').filter((l) => l.startsWith('start'));
    expect(starts).toHaveLength(12);
    expect(starts.filter((l) => l.endsWith('conv1.weights 0.1'))).toHaveLength(1);
    const single = path.join(dir, 'left-single.json');
    await inProcess(single, s);
    expect(fs.readFileSync(file, 'utf8')).toBe(fs.readFileSync(single, 'utf8'));
  });

  test('a bad param fails its job, and the run ends with one error naming it; waiting jobs are removed', async () => {
    await worker(1);
    const file = path.join(dir, 'bad.json');
    const run = runSensitivityOnQueue({ queue: redis.url, file, spec: spec('bad', ['delay_ms=50']), params: ['conv1.weights', 'nope.weights', 'conv2.weights'], ratios: RATIOS });
    await expect(run).rejects.toThrow("nope.weights at ratio 0.1: a worker failed the measurement: unknown parameter 'nope.weights' (expected one of conv1.weights, conv2.weights, conv3.weights)");
    // The file keeps what was measured before the failure, and nothing of this run waits on.
    const f = readSensitivityFile(file);
    expect(Object.keys(f.sensitivities)).toEqual(['conv1.weights']);
    const q = queueInspect();
    try {
      expect(await q.getJobCounts('wait')).toEqual({ wait: 0 });
    } finally {
      await q.close();
    }
  });

  test('a worker whose config differs from the coordinator\'s fails the job instead of measuring', async () => {
    await worker(1);
    const s = spec('digest');
    const q = queueInspect();
    const events = new QueueEvents(QUEUE_NAME, { connection: connectionOf(parseQueueUrl(redis.url)) });
    try {
      await events.waitUntilReady();
      const job = await q.add('measure', { spec: s, configDigest: 'f'.repeat(64), metric: 'mAP', param: 'conv1.weights', ratio: 0.5 }, { jobId: 'digest-test' });
      await expect(job.waitUntilFinished(events)).rejects.toThrow(
        `config digest ${fakeDigest(s).slice(0, 12)} on this worker, ffffffffffff expected by the coordinator: configs/digest.yml or its -o overrides differ on this machine`,
      );
      const odd = await q.add('measure', { spec: s, param: 'conv1.weights' }, { jobId: 'odd-test' });
      await expect(odd.waitUntilFinished(events)).rejects.toThrow(/job odd-test: expected param, ratio, configDigest and metric in a measure job/);
    } finally {
      await events.close();
      await q.close();
    }
    expect(traceOf('digest')).toEqual([]);
    expect(lines.some((l) => l.startsWith('conv1.weights at 0.5: failed: config digest'))).toBe(true);
  });

  test('close() lets the measurement in hand finish; another worker takes the rest', async () => {
    const first = await worker(1);
    const s = spec('close', ['delay_ms=1000']);
    const run = runSensitivityOnQueue({ queue: redis.url, file: path.join(dir, 'close.json'), spec: s, params: ['conv1.weights'], ratios: [0.1, 0.3, 0.5] });
    run.catch(() => undefined);
    while (!traceOf('close').some((l) => l.startsWith('start'))) await new Promise((r) => setTimeout(r, 50));
    await first.close();
    // Every measurement begun was finished and none failed (a failure would end the run).
    const trace = traceOf('close');
    expect(trace.filter((l) => l.startsWith('end'))).toHaveLength(trace.filter((l) => l.startsWith('start')).length);
    expect(trace.length).toBeLessThan(6);
    await worker(1);
    expect(await run).toEqual({ measured: 3, skipped: 0 });
    expect(traceOf('close').filter((l) => l.startsWith('start'))).toHaveLength(3);
  });

  test('an address with no server behind it: one error naming it, before anything else', async () => {
    const file = path.join(dir, 'none.json');
    const s = spec('none');
    const closed = `redis://127.0.0.1:${redis.port === 1 ? 2 : 1}`;
    await expect(runSensitivityOnQueue({ queue: closed, file, spec: s, params: FAKE_PARAMS, ratios: RATIOS })).rejects.toThrow(
      `--queue ${closed}: expected a reachable Redis server, got ECONNREFUSED`,
    );
    await expect(startWorker({ queue: closed, measurerModule: FAKE })).rejects.toThrow(`--queue ${closed}: expected a reachable Redis server, got ECONNREFUSED`);
    await expect(runSensitivityOnQueue({ queue: 'redis://127.0.0.1', file, spec: s, params: FAKE_PARAMS, ratios: RATIOS })).rejects.toThrow(/\(a host and a port\)/);
    expect(fs.existsSync(file)).toBe(false);
  });
});
