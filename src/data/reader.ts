/**
 * createReader: a resolved TrainReader / EvalReader / TestReader config -> batches.
 *
 * Order and randomness (what makes a resumed run exact): a training epoch is the dataset in
 * the order shuffled by stream (seed, shuffle, epoch); batch k is positions
 * [j * bs, (j + 1) * bs) of epoch floor(k / batchesPerEpoch), j = k mod batchesPerEpoch;
 * sample transforms draw from (seed, sample, epoch, position), the mixup partner from
 * (seed, mixup, epoch, position), batch transforms from (seed, batch, k). Batch k is
 * therefore the same whether built inline or by any of the workers, in any order, and
 * `startIter: k` begins exactly where a run that stopped before k left off.
 *
 * Training batches never end (epoch after epoch); eval and test make one pass. Mixup pairs
 * are drawn while epoch < mixup_epoch (and the dataset has 2+ samples). worker_num <= 0
 * builds batches inline when asked; otherwise min(worker_num, CPUs) threads keep up to
 * bufsize batches (at least one per worker) built ahead of the consumer.
 */
import * as os from 'os';
import type { BadSamplePolicy, Batch, DataRecord } from './types';
import { STREAM, streamFor } from './rng';
import { DataError } from './errors';
import { buildDataset, type DatasetFields } from './datasets';
import { Pipeline, type BatchJob, type JobResult, type PipelineSpec } from './pipeline';
import { WorkerPool } from './pool';
import type { OpConfig } from './transforms';
import { defaultWarn } from './datasets/base';

export type ReaderMode = 'train' | 'eval' | 'test';

/** The reader fields createReader reads (a resolved ReaderConfig has all of them). */
export interface ReaderSpec {
  dataset: { __type__: string; [field: string]: unknown };
  sample_transforms: OpConfig[];
  batch_transforms: OpConfig[];
  batch_size: number;
  shuffle: boolean;
  drop_last: boolean;
  drop_empty?: boolean;
  mixup_epoch: number;
  worker_num: number;
  bufsize: number;
  inputs_def?: { __type__?: string; [field: string]: unknown } | null;
  use_fine_grained_loss?: boolean;
}

export interface ReaderOptions {
  mode: ReaderMode;
  seed: number;
  /** replaces worker_num */
  workerNum?: number;
  onBadSample?: BadSamplePolicy;
  datasetDirOverride?: string;
  /** when given, every class id must be below it */
  numClasses?: number;
  /** first batch index to produce (resume) */
  startIter?: number;
  /** ImageFolder: images to read instead of image_dir */
  images?: readonly string[];
  /** one line per warning (default: stderr, each distinct line once) */
  warn?: (line: string) => void;
}

export interface Reader {
  numSamples: number;
  /** class names by class id */
  labels: string[];
  /** batches per epoch (train) or in the pass (eval/test) */
  batchesPerEpoch: number;
  /** a new pass from startIter each call (train: endless); results of a pass left early are dropped */
  batches(): AsyncIterableIterator<Batch>;
  /** stops the worker threads (idle workers never keep the process alive) */
  close(): Promise<void>;
}

const DEFAULT_FIELDS: Record<ReaderMode, string[]> = {
  train: ['image', 'gt_bbox', 'gt_class', 'gt_score'],
  eval: ['image', 'im_size', 'im_id'],
  test: ['image', 'im_size', 'im_id'],
};

export function createReader(readerCfg: ReaderSpec, opts: ReaderOptions): Reader {
  const mode = opts.mode;
  if (!['train', 'eval', 'test'].includes(mode)) throw new DataError(`createReader: expected mode train, eval or test, got ${String(mode)}`);
  if (!Number.isInteger(opts.seed)) throw new DataError(`createReader: expected an integer seed, got ${opts.seed}`);
  const train = mode === 'train';
  const seen = new Set<string>();
  const sink = opts.warn ?? defaultWarn;
  const warn = (line: string) => {
    if (seen.has(line)) return;
    seen.add(line);
    sink(line);
  };
  const onBadSample = opts.onBadSample ?? 'error';

  const dataset = buildDataset(readerCfg.dataset as { __type__: string } & DatasetFields, { datasetDirOverride: opts.datasetDirOverride, onBadSample, warn, images: opts.images });
  const contents = dataset.load({ onBadSample, warn });
  let records: DataRecord[] = contents.records;
  if (opts.numClasses !== undefined) {
    for (const r of records) {
      const bad = r.gtClass.find((c) => c < 0 || c >= opts.numClasses!);
      if (bad !== undefined) {
        throw new DataError(`${r.imFile}: class id ${bad} (${contents.labels[bad] ?? '?'}) is outside the model's num_classes ${opts.numClasses}; the dataset has ${contents.labels.length} labels`);
      }
    }
  }
  const dropEmpty = readerCfg.drop_empty ?? true;
  if (train && dropEmpty) records = records.filter((r) => r.gtBbox.length > 0);
  if (records.length === 0) throw new DataError('the dataset has no sample with boxes to train on');

  const bs = readerCfg.batch_size;
  if (!(Number.isInteger(bs) && bs >= 1)) throw new DataError(`batch_size: expected an integer >= 1, got ${bs}`);
  const n = records.length;
  const perEpoch = readerCfg.drop_last ? Math.floor(n / bs) : Math.ceil(n / bs);
  if (perEpoch === 0) throw new DataError(`the dataset has ${n} samples, fewer than batch_size ${bs} with drop_last: true`);

  const spec: PipelineSpec = {
    seed: opts.seed,
    train,
    withGt: mode !== 'train' && records.some((r) => r.gtBbox.length > 0),
    onBadSample,
    fields: (readerCfg.inputs_def?.fields as string[] | null | undefined) ?? DEFAULT_FIELDS[mode],
    sampleTransforms: readerCfg.sample_transforms,
    batchTransforms: readerCfg.batch_transforms,
    useFineGrainedLoss: readerCfg.use_fine_grained_loss ?? false,
  };
  // Build once here so config mistakes surface now, not inside a worker.
  const inline = new Pipeline(spec);

  const mixupEpoch = train && n >= 2 ? readerCfg.mixup_epoch : -1;
  const shuffle = readerCfg.shuffle;
  let cachedEpoch = -1;
  let cachedOrder: number[] = [];
  const orderOf = (epoch: number): number[] => {
    if (epoch !== cachedEpoch) {
      const idx = Array.from({ length: n }, (_, i) => i);
      cachedOrder = shuffle ? streamFor(opts.seed, STREAM.shuffle, epoch).shuffle(idx) : idx;
      cachedEpoch = epoch;
    }
    return cachedOrder;
  };
  const jobFor = (k: number): BatchJob => {
    const epoch = Math.floor(k / perEpoch);
    const j = k % perEpoch;
    const order = orderOf(epoch);
    const items = [];
    for (let p = j * bs; p < Math.min(n, (j + 1) * bs); p++) {
      const item: BatchJob['items'][number] = { rec: records[order[p]], pos: p };
      if (epoch < mixupEpoch) {
        const r = streamFor(opts.seed, STREAM.mixup, epoch, p).randint(1, n);
        item.mix = records[order[(r + p) % n]];
      }
      items.push(item);
    }
    return { k, epoch, items };
  };

  const wanted = opts.workerNum ?? readerCfg.worker_num;
  const threads = Math.max(0, Math.min(wanted, os.availableParallelism?.() ?? os.cpus().length));
  const pool = threads > 0 ? new WorkerPool(threads, spec) : null;
  const depth = pool ? Math.max(pool.size, readerCfg.bufsize > 0 ? readerCfg.bufsize : 2 * pool.size) : 1;
  const startIter = opts.startIter ?? 0;
  if (!(Number.isInteger(startIter) && startIter >= 0)) throw new DataError(`startIter: expected an integer >= 0, got ${startIter}`);
  const end = train ? Infinity : perEpoch;
  let closed = false;

  const close = async () => {
    closed = true;
    if (pool) await pool.close();
  };

  async function* batches(): AsyncIterableIterator<Batch> {
    const inflight = new Map<number, Promise<JobResult>>();
    let next = startIter;
    const fill = () => {
      while (!closed && inflight.size < depth && next < end) {
        const job = jobFor(next);
        inflight.set(next, pool ? pool.submit(job) : inline.run(job));
        next++;
        if (!pool) break;
      }
    };
    for (let k = startIter; k < end && !closed; k++) {
      const t0 = performance.now();
      fill();
      const r = await inflight.get(k)!;
      inflight.delete(k);
      if (closed) return;
      const loadMs = performance.now() - t0;
      for (const w of r.warnings) warn(w);
      if (r.error) throw new DataError(`batch ${k}: ${r.error}`);
      fill();
      if (!r.batch) continue;
      yield { ...r.batch, loadMs };
    }
  }

  return { numSamples: n, labels: contents.labels, batchesPerEpoch: perEpoch, batches, close };
}
