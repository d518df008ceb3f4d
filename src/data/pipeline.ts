/**
 * Building one batch: decode each sample (and its mixup partner), run the sample transforms
 * with the sample's own random stream, drop samples left without boxes (training), run the
 * batch transforms with the batch's stream, and pack the arrays the trainer reads. The same
 * code runs inline and inside the worker threads, so a batch is the same wherever it is built.
 *
 * Everything a batch depends on is in its BatchJob (records, positions, epoch, index) plus the
 * reader's fixed settings (PipelineSpec), which is what makes batch k a pure function of the
 * seed and k.
 */
import type { BadSamplePolicy, Batch, DataRecord, Img, Sample, TransformContext } from './types';
import { STREAM, streamFor } from './rng';
import { decodeImage } from './image';
import { BadSampleError, messageOf } from './errors';
import { buildTransforms, type OpConfig, type TransformLists } from './transforms';

/** The fixed, cloneable description of a reader's processing (sent to each worker once). */
export interface PipelineSpec {
  seed: number;
  train: boolean;
  /** attach each image's original boxes (evaluation) */
  withGt: boolean;
  onBadSample: BadSamplePolicy;
  fields: string[];
  sampleTransforms: OpConfig[];
  batchTransforms: OpConfig[];
  useFineGrainedLoss: boolean;
}

export interface JobItem {
  rec: DataRecord;
  /** position in the epoch's order: names the sample's random stream */
  pos: number;
  mix?: DataRecord;
}

export interface BatchJob {
  k: number;
  epoch: number;
  items: JobItem[];
}

/** A built batch without the consumer-side fields (loadMs). */
export type BatchPayload = Omit<Batch, 'loadMs'>;

export interface JobResult {
  k: number;
  /** null: every sample of the batch was skipped */
  batch: BatchPayload | null;
  warnings: string[];
  error?: string;
}

const swapRB = (img: Img): Img => {
  const d = img.data;
  for (let i = 0; i < d.length; i += 3) {
    const t = d[i];
    d[i] = d[i + 2];
    d[i + 2] = t;
  }
  return img;
};

function toSample(rec: DataRecord): Sample {
  return {
    ...rec,
    gtBbox: rec.gtBbox.map((b) => b.slice()),
    gtClass: rec.gtClass.slice(),
    gtScore: rec.gtScore.slice(),
    isCrowd: rec.isCrowd.slice(),
    difficult: rec.difficult.slice(),
    ...(rec.gtPoly ? { gtPoly: rec.gtPoly.map((polys) => polys.map((p) => p.slice())) } : {}),
    origH: rec.h,
    origW: rec.w,
  };
}

export class Pipeline {
  readonly ops: TransformLists;

  constructor(readonly spec: PipelineSpec) {
    this.ops = buildTransforms(spec.sampleTransforms, spec.batchTransforms, spec.useFineGrainedLoss);
    if (!this.ops.decode) throw new Error('sample_transforms must start with DecodeImage');
  }

  private async decodeInto(s: Sample, warnings: string[]): Promise<void> {
    const img = await decodeImage(s.imFile);
    // As the reference: the decoded size wins over the annotation's, with a warning.
    if (s.h > 0 && s.w > 0 && (s.h !== img.h || s.w !== img.w)) {
      warnings.push(`${s.imFile}: the annotation says ${s.w}x${s.h}, the image is ${img.w}x${img.h}; using the image's size`);
    }
    s.image = this.ops.decode!.toRgb ? img : swapRB(img);
    s.h = s.origH = img.h;
    s.w = s.origW = img.w;
    // as PaddleDetection's DecodeImage: the network input is the decoded image at scale 1
    s.imInfo = [img.h, img.w, 1];
  }

  /** Builds one batch; bad samples follow the policy, anything else becomes `error`. */
  async run(job: BatchJob): Promise<JobResult> {
    const warnings: string[] = [];
    const { spec, ops } = this;
    const ctx: TransformContext = { fields: spec.fields };
    try {
      const samples = await Promise.all(
        job.items.map(async (it): Promise<Sample | null> => {
          const s = toSample(it.rec);
          try {
            await this.decodeInto(s, warnings);
          } catch (e) {
            if (e instanceof BadSampleError && spec.onBadSample === 'skip') {
              warnings.push(`skipping ${e.file}: ${e.problem}`);
              return null;
            }
            throw e;
          }
          if (it.mix && ops.decode!.withMixup) {
            const m = toSample(it.mix);
            try {
              await this.decodeInto(m, warnings);
              s.mixup = m;
            } catch (e) {
              if (!(e instanceof BadSampleError && spec.onBadSample === 'skip')) throw e;
              warnings.push(`skipping ${e.file}: ${e.problem}`);
            }
          }
          return s;
        }),
      );
      const kept: Sample[] = [];
      const keptItems: JobItem[] = [];
      samples.forEach((s0, i) => {
        if (!s0) return;
        const rng = streamFor(spec.seed, STREAM.sample, job.epoch, job.items[i].pos);
        let s = s0;
        for (const op of ops.sample) {
          if (op.kind !== 'sample') continue;
          try {
            s = op.apply(s, rng, ctx);
          } catch (e) {
            throw new Error(`${op.name} failed on ${s.imFile}: ${messageOf(e)}`);
          }
        }
        // PaddleDetection's drop_empty: a training sample must still have a box.
        if (spec.train && s.gtBbox.length === 0) return;
        kept.push(s);
        keptItems.push(job.items[i]);
      });
      if (kept.length === 0) return { k: job.k, batch: null, warnings };
      let batch = kept;
      const brng = streamFor(spec.seed, STREAM.batch, job.k);
      for (const op of ops.batch) {
        try {
          if (op.kind === 'batch') batch = op.apply(batch, brng, ctx);
          else if (op.kind === 'sample') batch = batch.map((s) => op.apply(s, brng, ctx));
        } catch (e) {
          throw new Error(`${op.name} failed on the batch of ${batch.map((s) => s.imFile).join(', ')}: ${messageOf(e)}`);
        }
      }
      return { k: job.k, batch: pack(job, batch, keptItems, spec), warnings };
    } catch (e) {
      return { k: job.k, batch: null, warnings, error: messageOf(e) };
    }
  }
}

function pack(job: BatchJob, samples: Sample[], items: JobItem[], spec: PipelineSpec): BatchPayload {
  const first = samples[0].image!;
  for (const s of samples) {
    const im = s.image!;
    if (!im.chw) throw new Error('the reader transforms leave HWC images; end them with Permute {channel_first: true}');
    if (im.h !== first.h || im.w !== first.w || im.c !== first.c) {
      throw new Error(`images of one batch differ in size (${first.h}x${first.w} and ${im.h}x${im.w}, ${s.imFile}); add RandomShape or ResizeImage`);
    }
  }
  const n = samples.length;
  const per = first.c * first.h * first.w;
  const image = new Float32Array(n * per);
  samples.forEach((s, i) => image.set(s.image!.data, i * per));
  const out: BatchPayload = {
    iter: job.k,
    epoch: job.epoch,
    image,
    shape: [n, first.c, first.h, first.w],
    imId: samples.map((s) => s.imId),
    imSize: samples.map((s) => [s.origH, s.origW] as [number, number]),
  };
  if (spec.train) {
    const B = samples[0].numMaxBoxes !== undefined && samples.every((s) => s.numMaxBoxes === samples[0].numMaxBoxes) ? samples[0].numMaxBoxes : Math.max(1, ...samples.map((s) => s.gtBbox.length));
    const gtBox = new Float32Array(n * B * 4);
    const gtLabel = new Int32Array(n * B);
    const gtScore = new Float32Array(n * B);
    samples.forEach((s, i) => {
      for (let b = 0; b < Math.min(B, s.gtBbox.length); b++) {
        gtBox.set(s.gtBbox[b], (i * B + b) * 4);
        gtLabel[i * B + b] = s.gtClass[b] ?? 0;
        gtScore[i * B + b] = s.gtScore.length ? (s.gtScore[b] ?? 0) : 1;
      }
    });
    Object.assign(out, { gtBox, gtLabel, gtScore, numMaxBoxes: B });
    if (spec.fields.includes('is_crowd')) {
      const isCrowd = new Int32Array(n * B);
      samples.forEach((s, i) => {
        for (let b = 0; b < Math.min(B, s.isCrowd.length); b++) isCrowd[i * B + b] = s.isCrowd[b];
      });
      out.isCrowd = isCrowd;
    }
    if (spec.fields.includes('gt_mask') || spec.fields.includes('gt_poly')) {
      out.gtPoly = samples.map((s) => {
        if (!s.gtPoly) throw new Error(`inputs_def.fields asks for gt_mask but ${s.imFile} has no segmentations (a COCO annotation file with "segmentation" gives them)`);
        return Array.from({ length: B }, (_, b) => s.gtPoly![b] ?? []);
      });
    }
  }
  if (spec.fields.includes('im_info')) {
    const imInfo = new Float32Array(n * 3);
    samples.forEach((s, i) => imInfo.set(s.imInfo ?? [s.origH, s.origW, 1], i * 3));
    out.imInfo = imInfo;
  }
  if (spec.fields.includes('im_shape')) {
    const imShape = new Float32Array(n * 3);
    samples.forEach((s, i) => imShape.set([s.origH, s.origW, 1], i * 3));
    out.imShape = imShape;
  }
  if (spec.withGt) {
    out.gt = items.map((it) => ({ boxes: it.rec.gtBbox.map((b) => b.slice()), labels: it.rec.gtClass.slice(), difficult: it.rec.difficult.slice() }));
  }
  return out;
}

/** The buffers to transfer (not copy) when posting a payload between threads. */
export function transferList(b: BatchPayload | null): ArrayBuffer[] {
  if (!b) return [];
  return [b.image, b.gtBox, b.gtLabel, b.gtScore, b.imInfo, b.imShape, b.isCrowd].filter((a): a is NonNullable<typeof a> => !!a).map((a) => a.buffer as ArrayBuffer);
}
