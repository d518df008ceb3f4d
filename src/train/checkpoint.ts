/**
 * Checkpoints: one directory per snapshot holding `manifest.json` and `tensors.bin`.
 *
 *   manifest.json  {format: 'slimprune.checkpoint', version: 1, iteration, tensors: [{name,
 *                  kind: 'param' | 'optimizer', shape, dtype: 'float32', offset, bytes, sha256}],
 *                  file, bytes, sha256 (whole file), byteOrder, prune: [records], config:
 *                  {name, digest}, optimizer: {type, slot, names}, train: {iter, lr, seed,
 *                  dataIter, ...}}
 *   tensors.bin    every tensor's float32 values, little-endian, back to back, 64-byte aligned
 *
 * Writing is all or nothing: both files go into `<dir>.tmp-<pid>`, are fsynced with their
 * folder, and the folder is renamed into place. Replacing an existing snapshot (model_final,
 * best_model) moves the old one to `<dir>.old-<pid>` first; a crash between the two renames
 * leaves that complete old copy, which readCheckpoint finds and puts back. Leftover temp
 * folders of dead writers are removed by cleanStaleTemps.
 *
 * Reading checks the format and version, the file size, every tensor's checksum and the
 * whole file's, and names exactly what does not match.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { PruneRecord } from '../prune/types';

export const CHECKPOINT_FORMAT = 'slimprune.checkpoint';
export const CHECKPOINT_VERSION = 1;
export const MANIFEST = 'manifest.json';
export const TENSOR_FILE = 'tensors.bin';
const ALIGN = 64;

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

export interface TensorEntry {
  name: string;
  kind: 'param' | 'optimizer';
  shape: number[];
  dtype: 'float32';
  offset: number;
  bytes: number;
  sha256: string;
}

/** What resuming needs besides the tensors. */
export interface TrainState {
  /** iterations completed */
  iter: number;
  /** learning rate of the last step taken */
  lr: number;
  /** the run's seed (initialisation and data order) */
  seed: number;
  /** index of the next batch the reader must produce */
  dataIter: number;
  /** best evaluation so far (--eval), null when none */
  bestMap: number | null;
}

export interface Manifest {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  created: string;
  iteration: number;
  byteOrder: 'little';
  file: string;
  bytes: number;
  sha256: string;
  tensors: TensorEntry[];
  /** pruning applied to the freshly built model, in order */
  prune: PruneRecord[];
  config: { name: string; digest: string } | null;
  optimizer: { type: string; slot: string; names: string[] } | null;
  train: TrainState | null;
}

export interface NamedArray {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface SnapshotInput {
  iteration: number;
  params: NamedArray[];
  optimizer?: { type: string; slot: string; tensors: NamedArray[] } | null;
  prune?: PruneRecord[];
  config?: { name: string; digest: string } | null;
  train?: TrainState | null;
}

export interface Checkpoint {
  dir: string;
  manifest: Manifest;
  params: Map<string, NamedArray>;
  /** optimizer slot per parameter name */
  optimizer: Map<string, NamedArray>;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const size = (shape: readonly number[]) => shape.reduce((a, d) => a * d, 1);
const pad = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

function bytesOf(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function fsyncPath(p: string): void {
  const fd = fs.openSync(p, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function writeDurable(file: string, chunks: Uint8Array[]): void {
  const fd = fs.openSync(file, 'w');
  try {
    for (const c of chunks) {
      let off = 0;
      while (off < c.length) off += fs.writeSync(fd, c, off, c.length - off);
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function checkArray(t: NamedArray, kind: string): void {
  if (!(t.data instanceof Float32Array)) throw new CheckpointError(`checkpoint: expected Float32Array data for ${kind} ${t.name}, got ${Object.prototype.toString.call(t.data)}`);
  if (t.data.length !== size(t.shape)) {
    throw new CheckpointError(`checkpoint: expected ${size(t.shape)} values for ${kind} ${t.name} of shape [${t.shape.join(', ')}], got ${t.data.length}`);
  }
}

/** Writes a snapshot to `dir` atomically (see the file comment). */
export function saveCheckpoint(dir: string, s: SnapshotInput): Manifest {
  if (!Number.isInteger(s.iteration) || s.iteration < 0) throw new CheckpointError(`checkpoint: expected a non-negative integer iteration, got ${s.iteration}`);
  const all: Array<NamedArray & { kind: 'param' | 'optimizer' }> = [
    ...s.params.map((t) => ({ ...t, kind: 'param' as const })),
    ...(s.optimizer?.tensors ?? []).map((t) => ({ ...t, kind: 'optimizer' as const })),
  ];
  const seen = new Set<string>();
  for (const t of all) {
    checkArray(t, t.kind === 'param' ? 'parameter' : 'optimizer state');
    const key = `${t.kind}:${t.name}`;
    if (seen.has(key)) throw new CheckpointError(`checkpoint: expected each ${t.kind} name once, got ${t.name} twice`);
    seen.add(key);
  }
  const chunks: Uint8Array[] = [];
  const whole = createHash('sha256');
  const tensors: TensorEntry[] = [];
  let offset = 0;
  for (const t of all) {
    const b = bytesOf(t.data);
    const start = pad(offset);
    if (start > offset) {
      const z = new Uint8Array(start - offset);
      chunks.push(z);
      whole.update(z);
    }
    chunks.push(b);
    whole.update(b);
    tensors.push({ name: t.name, kind: t.kind, shape: [...t.shape], dtype: 'float32', offset: start, bytes: b.length, sha256: sha256(b) });
    offset = start + b.length;
  }
  const manifest: Manifest = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    created: new Date().toISOString(),
    iteration: s.iteration,
    byteOrder: 'little',
    file: TENSOR_FILE,
    bytes: offset,
    sha256: whole.digest('hex'),
    tensors,
    prune: s.prune ?? [],
    config: s.config ?? null,
    optimizer: s.optimizer ? { type: s.optimizer.type, slot: s.optimizer.slot, names: s.optimizer.tensors.map((t) => t.name) } : null,
    train: s.train ?? null,
  };

  const target = path.resolve(dir);
  const parent = path.dirname(target);
  fs.mkdirSync(parent, { recursive: true });
  const tmp = `${target}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  try {
    writeDurable(path.join(tmp, TENSOR_FILE), chunks);
    writeDurable(path.join(tmp, MANIFEST), [Buffer.from(JSON.stringify(manifest, null, 1) + '\n')]);
    fsyncPath(tmp);
    let old: string | null = null;
    if (fs.existsSync(target)) {
      old = `${target}.old-${process.pid}`;
      fs.rmSync(old, { recursive: true, force: true });
      fs.renameSync(target, old);
    }
    fs.renameSync(tmp, target);
    fsyncPath(parent);
    if (old) fs.rmSync(old, { recursive: true, force: true });
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (e instanceof CheckpointError) throw e;
    throw new CheckpointError(`checkpoint: could not write ${dir}: ${(e as Error).message}`);
  }
  return manifest;
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes `*.tmp-<pid>` folders under `parent` left by writers that are no longer running
 * (a crash mid-write), and restores `<name>.old-<pid>` copies whose `<name>` is missing.
 * Returns what it removed or restored.
 */
export function cleanStaleTemps(parent: string): { removed: string[]; restored: string[] } {
  const removed: string[] = [];
  const restored: string[] = [];
  if (!fs.existsSync(parent)) return { removed, restored };
  for (const e of fs.readdirSync(parent, { withFileTypes: true })) {
    const m = /^(.*)\.(tmp|old)-(\d+)$/.exec(e.name);
    if (!m || !e.isDirectory() || pidAlive(Number(m[3]))) continue;
    const p = path.join(parent, e.name);
    const base = path.join(parent, m[1]);
    if (m[2] === 'old' && !fs.existsSync(base)) {
      fs.renameSync(p, base);
      restored.push(base);
    } else {
      fs.rmSync(p, { recursive: true, force: true });
      removed.push(p);
    }
  }
  return { removed, restored };
}

/** True when `dir` holds a checkpoint manifest (no validation). */
export function isCheckpointDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, MANIFEST));
}

function parseManifest(dir: string): Manifest {
  const file = path.join(dir, MANIFEST);
  if (!fs.existsSync(dir)) throw new CheckpointError(`checkpoint ${dir}: expected a checkpoint directory, got nothing at that path`);
  if (!fs.statSync(dir).isDirectory()) throw new CheckpointError(`checkpoint ${dir}: expected a checkpoint directory, got a file`);
  if (!fs.existsSync(file)) throw new CheckpointError(`checkpoint ${dir}: expected ${MANIFEST}, got none (not a slimprune checkpoint, or an incomplete copy)`);
  let m: Manifest;
  try {
    m = JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
  } catch (e) {
    throw new CheckpointError(`checkpoint ${dir}: expected valid JSON in ${MANIFEST}, got ${(e as Error).message}`);
  }
  if (!m || typeof m !== 'object' || m.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(`checkpoint ${dir}: expected format '${CHECKPOINT_FORMAT}' in ${MANIFEST}, got ${JSON.stringify((m as { format?: unknown })?.format)}`);
  }
  if (m.version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(`checkpoint ${dir}: expected format version ${CHECKPOINT_VERSION}, got ${JSON.stringify(m.version)} (written by another slimprune version)`);
  }
  if (!Array.isArray(m.tensors) || typeof m.bytes !== 'number' || typeof m.sha256 !== 'string' || typeof m.file !== 'string') {
    throw new CheckpointError(`checkpoint ${dir}: expected tensors, bytes, sha256 and file in ${MANIFEST}, got an incomplete manifest`);
  }
  if (path.basename(m.file) !== m.file) throw new CheckpointError(`checkpoint ${dir}: expected a plain file name for file in ${MANIFEST}, got ${JSON.stringify(m.file)}`);
  return m;
}

/** Reads and verifies the checkpoint in `dir`. */
export function readCheckpoint(dir: string): Checkpoint {
  if (!fs.existsSync(dir)) cleanStaleTemps(path.dirname(path.resolve(dir)));
  const manifest = parseManifest(dir);
  const file = path.join(dir, manifest.file);
  if (!fs.existsSync(file)) throw new CheckpointError(`checkpoint ${dir}: expected ${manifest.file} (${manifest.bytes} bytes), got none`);
  const buf = fs.readFileSync(file);
  if (buf.length !== manifest.bytes) {
    const how = buf.length < manifest.bytes ? 'truncated' : 'longer than recorded';
    throw new CheckpointError(`checkpoint ${dir}: expected ${manifest.file} of ${manifest.bytes} bytes, got ${buf.length} (${how})`);
  }
  const params = new Map<string, NamedArray>();
  const optimizer = new Map<string, NamedArray>();
  const bad: string[] = [];
  for (const t of manifest.tensors) {
    const n = size(t.shape);
    if (t.dtype !== 'float32' || t.bytes !== n * 4 || t.offset % 4 !== 0 || t.offset + t.bytes > buf.length) {
      throw new CheckpointError(`checkpoint ${dir}: expected float32 tensor ${t.name} of shape [${t.shape.join(', ')}] within ${manifest.file}, got dtype ${t.dtype}, ${t.bytes} bytes at offset ${t.offset}`);
    }
    const view = buf.subarray(t.offset, t.offset + t.bytes);
    if (sha256(view) !== t.sha256) {
      bad.push(`${t.kind === 'param' ? 'parameter' : 'optimizer state'} ${t.name}`);
      continue;
    }
    const data = new Float32Array(n);
    new Uint8Array(data.buffer).set(view);
    (t.kind === 'optimizer' ? optimizer : params).set(t.name, { name: t.name, shape: [...t.shape], data });
  }
  if (bad.length) {
    throw new CheckpointError(`checkpoint ${dir}: checksum mismatch in ${bad.join(', ')} (the file is corrupted)`);
  }
  if (sha256(buf) !== manifest.sha256) {
    throw new CheckpointError(`checkpoint ${dir}: expected ${manifest.file} with sha256 ${manifest.sha256}, got ${sha256(buf)} (corrupted between tensors)`);
  }
  return { dir, manifest, params, optimizer };
}

/** sha256 of a JSON value with sorted keys (config digests). */
export function digestOf(v: unknown): string {
  const canon = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(canon);
    if (x && typeof x === 'object') {
      return Object.fromEntries(Object.keys(x as object).sort().map((k) => [k, canon((x as Record<string, unknown>)[k])]));
    }
    return x;
  };
  return createHash('sha256').update(JSON.stringify(canon(v))).digest('hex');
}
