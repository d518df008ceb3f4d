/**
 * The queue run end to end on the digits YOLOv3 with its shipped weights and a tiny eval set:
 * two `slimprune worker` processes (bin/slimprune.js on the sources), a coordinator here, one
 * worker SIGKILLed (with its measuring process) while it holds a job. The queue hands that job
 * to the other worker once the lock expires; the file ends complete and byte-identical to an
 * in-process runSensitivity with the real measurer on the same inputs. The surviving worker
 * exits cleanly on SIGTERM. Skipped, with the reason printed, where redis-server is absent.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Queue, QueueEvents } from 'bullmq';
import { runSensitivityOnQueue } from '../../src/queue/coordinator';
import { QUEUE_NAME } from '../../src/queue/jobs';
import { connectionOf } from '../../src/queue/connection';
import { parseQueueUrl } from '../../src/queue/url';
import { runSensitivity } from '../../src/prune/sensitivity_run';
import { readSensitivityFile } from '../../src/prune/sensitivity_file';
import { createMeasurer } from '../../src/prune/sensitivity_measure';
import { redisServer, startRedis, type RedisServer } from '../util/redis';

const ROOT = path.resolve(__dirname, '../..');
const CFG = 'configs/yolov3_mobilenet_v1_digits.yml';
const PARAMS = ['yolo_block.0.0.0.conv.weights', 'yolo_block.1.0.0.conv.weights', 'yolo_block.2.0.0.conv.weights'];
const RATIOS = [0.2, 0.5, 0.8];
const have = redisServer();
if (!('path' in have)) console.log(`queue end-to-end test skipped: ${have.reason}`);
const d = 'path' in have ? describe : describe.skip;

interface CliWorker {
  name: string;
  child: ChildProcess;
  out: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

d('sensitivity on a queue: two CLI workers, one killed mid-run', () => {
  let redis: RedisServer;
  let tmp: string;
  const workers: CliWorker[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-queue-e2e-'));
    const { writeDigitsDataset } = await import('../../src/data');
    await writeDigitsDataset({ out: path.join(tmp, 'digits'), train: 1, test: 8, seed: 3 });
  });
  afterAll(async () => {
    for (const w of workers) {
      if (w.child.exitCode === null && w.child.signalCode === null) {
        try {
          process.kill(-w.child.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
    await Promise.all(workers.map((w) => w.exited));
    await redis?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** A worker in its own process group, so it can be killed together with its measuring process. */
  function startCliWorker(name: string): CliWorker {
    const child = spawn(process.execPath, ['bin/slimprune.js', 'worker', '--queue', redis.url, '--lock_duration', '2', '--name', name], {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SLIMPRUNE_FROM_SOURCE: '1', SLIMPRUNE_QUIET: '1' },
    });
    const w: CliWorker = {
      name,
      child,
      out: [],
      exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
    };
    let buf = '';
    const take = (b: Buffer) => {
      buf += b.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      w.out.push(...lines);
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    workers.push(w);
    return w;
  }

  const until = async (what: string, cond: () => boolean | Promise<boolean>, w: CliWorker[]) => {
    // No time limit of its own (jest's applies); a worker that dies instead ends the wait.
    while (!(await cond())) {
      const dead = w.find((x) => x.child.exitCode !== null || x.child.signalCode !== null);
      if (dead) throw new Error(`${what}: worker ${dead.name} exited: ${dead.out.join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  test('the file is complete and identical to the in-process run; the killed worker\'s job is retried', async () => {
    const spec = { config: CFG, overrides: ['weights=demo/digits_baseline', `EvalReader.dataset.dataset_dir=${path.join(tmp, 'digits')}`, 'EvalReader.worker_num=1'] };
    // worker-a first, so it surely gets jobs to hold however slowly worker-b starts.
    const a = startCliWorker('worker-a');
    await until('worker-a ready', () => a.out.some((l) => l.startsWith('worker worker-a: waiting for jobs')), [a]);
    const b = startCliWorker('worker-b');
    const conn = connectionOf(parseQueueUrl(redis.url));
    const queue = new Queue(QUEUE_NAME, { connection: conn });
    const events = new QueueEvents(QUEUE_NAME, { connection: conn });
    const stalled: string[] = [];
    events.on('stalled', ({ jobId }) => stalled.push(jobId));
    const file = path.join(tmp, 'queue.json');
    let killedJob = '';
    try {
      await events.waitUntilReady();
      const run = runSensitivityOnQueue({ queue: redis.url, file, spec, params: PARAMS, ratios: RATIOS });
      run.catch(() => undefined);
      // Once worker-a has measured a point and holds another, kill it and its measuring process.
      await until('worker-a measuring', async () => {
        if (!a.out.some((l) => / at 0\.\d: mAP /.test(l))) return false;
        const held = (await queue.getActive()).find((j) => j.processedBy === 'worker-a');
        if (held) killedJob = String(held.id);
        return held !== undefined;
      }, [a, b]);
      process.kill(-a.child.pid!, 'SIGKILL');
      expect((await a.exited).signal).toBe('SIGKILL');
      // The job it held when it died (it may have finished the one seen above and taken the next
      // between that look and the kill): still active under its name until its lock (2 s) runs out.
      const atDeath = (await queue.getActive()).find((j) => j.processedBy === 'worker-a');
      if (atDeath) killedJob = String(atDeath.id);
      const r = await run;
      expect(r.measured + r.skipped).toBe(PARAMS.length * RATIOS.length);
      expect(r.skipped).toBe(0);
    } finally {
      await events.close();
      await queue.close();
    }
    // The job worker-a held was found stalled and measured by worker-b.
    expect(stalled).toContain(killedJob);
    const f = readSensitivityFile(file);
    for (const p of PARAMS) expect(Object.keys(f.sensitivities[p]).sort()).toEqual(RATIOS.map(String));
    expect(b.out.filter((l) => / at 0\.\d: mAP /.test(l)).length).toBeGreaterThan(0);

    // The same points in this process with the real measurer: the same bytes.
    const m = await createMeasurer(spec);
    try {
      const single = path.join(tmp, 'single.json');
      await runSensitivity({ file: single, params: PARAMS, ratios: RATIOS, metric: m.metric, configDigest: m.configDigest, base: () => m.base(), evaluate: (p, r) => m.evaluate(p, r) });
      expect(fs.readFileSync(file, 'utf8')).toBe(fs.readFileSync(single, 'utf8'));
    } finally {
      await m.close();
    }

    // SIGTERM: worker-b finishes (it is idle), closes its connections and exits 0.
    process.kill(b.child.pid!, 'SIGTERM');
    expect(await b.exited).toEqual({ code: 0, signal: null });
    expect(b.out.some((l) => l === 'worker worker-b: closed')).toBe(true);
  });
});
