#!/usr/bin/env node
// Stress driver for the native thread pool, run as a child process by threadpool.test.ts (a hang
// or a crash then fails that test instead of the runner) and usable by hand for long runs:
//   node test/native/threadpool-stress.js <addon.node> [jobs] [seed] [--throwing]
// It pushes many tiny parallel jobs through the pool (axpy and binary_forward with sizes just over
// their parallel threshold, so each call is split into a few chunks and finishes in microseconds:
// the pool's start/finish handshake is what gets exercised), a small conv2d_backward_input now and
// then (checked against its single-thread result), and changes the thread count between 1 and 4
// every few hundred jobs. With --throwing (run it under a data-size limit) it also makes
// conv2d_backward_filter fail a scratch allocation inside a pool worker every so often, and checks
// the error and that the pool keeps working. Every result is checked exactly; the first wrong
// value exits with status 1. Progress goes to stdout as `progress <jobs done>` lines, the
// summary as one `done <json>` line.
'use strict';

const [addonFile, jobsArg, seedArg, ...flags] = process.argv.slice(2);
const A = require(addonFile);
const K = A.kernels;
const jobs = Number(jobsArg ?? 200000);
const throwing = flags.includes('--throwing');

// mulberry32: seeded and reproducible.
let state = Number(seedArg ?? 1) >>> 0;
function rand() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));

function fail(what) {
  process.stdout.write(`fail ${what}\n`);
  process.exit(1);
}

// axpy splits into chunks of at least 16384 values: 2 to 4 chunks here. y starts at 0 and x is
// 1 + (i & 7), so every y[i] must come out exactly alpha * x[i]; a chunk run twice or skipped
// shows up as a wrong value.
const AXPY_MAX = 16384 * 4 + 100;
const ax = new Float32Array(AXPY_MAX).map((_, i) => 1 + (i & 7));
const ay = new Float32Array(AXPY_MAX);
function axpyJob() {
  const n = 16384 * pick(2, 4) + pick(1, 100);
  const y = ay.subarray(0, n);
  y.fill(0);
  K.axpy(ax, y, [n], 2);
  for (let i = 0; i < n; ++i) if (y[i] !== 2 * ax[i]) fail(`axpy n=${n}: y[${i}] = ${y[i]}, expected ${2 * ax[i]}`);
}

// binary_forward (op 0: a + b, b per channel): chunks of at least 4096 / inner rows, so 17 to 64
// rows of 512 make 3 to 8 chunks.
const BIN_ROWS = 64, BIN_INNER = 512;
const ba = new Float32Array(BIN_ROWS * BIN_INNER).map((_, i) => i & 15);
const bb = new Float32Array(BIN_ROWS).map((_, c) => c);
const by = new Float32Array(BIN_ROWS * BIN_INNER);
function binaryJob() {
  const C = pick(17, BIN_ROWS);
  const n = C * BIN_INNER;
  const y = by.subarray(0, n);
  y.fill(-1);
  K.binary_forward(ba, bb, y, [1, C, BIN_INNER, 0, 1]);
  for (let i = 0; i < n; ++i) {
    const want = (i & 15) + ((i / BIN_INNER) | 0);
    if (y[i] !== want) fail(`binary_forward C=${C}: y[${i}] = ${y[i]}, expected ${want}`);
  }
}

// A small strided conv backward-input (the call site where a hang was seen in training); its
// result does not depend on the thread count, so it is compared with the 1-thread result.
const CONV_P = [2, 8, 12, 12, 16, 3, 3, 6, 6, 2, 2, 1, 1, 1, 1, 1];
const cdy = new Float32Array(2 * 16 * 6 * 6).map((_, i) => ((i * 7) % 13) - 6);
const cw = new Float32Array(16 * 8 * 3 * 3).map((_, i) => ((i * 5) % 11) / 8 - 0.5);
const cdx = new Float32Array(2 * 8 * 12 * 12);
function convRun() {
  cdx.fill(0);
  K.conv2d_backward_input(cdy, cw, cdx, CONV_P);
  return Buffer.from(cdx.buffer).toString('base64');
}
let threads = 1;
A.setThreads(1);
const convWant = convRun();
function convJob() {
  const got = convRun();
  if (got !== convWant) fail(`conv2d_backward_input with ${threads} threads differs from its 1-thread result`);
}

// A legal geometry whose scratch (about 850 MB, taken by a pool worker) fails under the data-size
// limit the test runs this under: the chunk throws, the pool rethrows it to this call.
const THROW_MSG = "conv2d_backward_filter: expected memory for the kernel's scratch buffers for p, got an allocation failure";
const tx = new Float32Array(2), tdy = new Float32Array(26000), tdw = new Float32Array(32768);
let thrown = 0;
function throwingJob() {
  const before = threads;
  if (threads < 2) A.setThreads((threads = 2));
  let msg = 'returned';
  try {
    K.conv2d_backward_filter(tx, tdy, tdw, null, [1, 2, 1, 1, 2, 128, 128, 1, 13000, 1, 1, 0, 0, 1, 1, 2]);
  } catch (e) {
    msg = e.message;
  }
  if (msg !== THROW_MSG) fail(`conv2d_backward_filter under a data limit: got '${msg}', expected '${THROW_MSG}'`);
  ++thrown;
  if (before !== threads) A.setThreads((threads = before));
}

const counts = { axpy: 0, binary: 0, conv: 0, throwing: 0, setThreads: 0 };
for (let j = 0; j < jobs; ++j) {
  if (j % 256 === 0 && rand() < 0.5) {
    threads = pick(1, 4);
    A.setThreads(threads);
    if (A.getThreads() !== threads) fail(`getThreads() = ${A.getThreads()} after setThreads(${threads})`);
    ++counts.setThreads;
  }
  if (throwing && j % 2000 === 1999) {
    throwingJob();
    ++counts.throwing;
  } else if (j % 500 === 499) {
    convJob();
    ++counts.conv;
  } else if (j & 1) {
    binaryJob();
    ++counts.binary;
  } else {
    axpyJob();
    ++counts.axpy;
  }
  if (j % 1000 === 999) process.stdout.write(`progress ${j + 1}\n`);
}
process.stdout.write(`done ${JSON.stringify({ jobs, thrown, ...counts })}\n`);
