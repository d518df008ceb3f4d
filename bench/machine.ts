/**
 * The machine a benchmark ran on, and its fp32 peak:
 *
 *     peak = cores x FMA units per core x SIMD lanes x 2 flops per FMA x clock
 *
 * cores: physical cores from /proc/cpuinfo (logical CPUs from os.cpus() when it has no topology);
 * lanes: fp32 lanes of the ISA the native kernels dispatch to (the addon's cpuInfo().isa:
 * avx512 16, avx2 8, generic SSE 4), or of /proc/cpuinfo's flags when the addon is absent;
 * FMA units: 2 per core, an assumption that holds for current x86 cores (Intel since Haswell,
 * AMD since Zen 2; some AVX-512 parts have only 1 512-bit unit);
 * clock: the highest 'cpu MHz' in /proc/cpuinfo (the current clock, not a turbo maximum), else
 * os.cpus() speed.
 */
import * as fs from 'fs';
import * as os from 'os';

export interface Machine {
  cpuModel: string;
  logicalCpus: number;
  physicalCores: number;
  mhz: number;
  mhzSource: string;
  /** SIMD-related flags from /proc/cpuinfo */
  flags: string[];
  node: string;
  os: string;
}

export interface Peak {
  gflops: number;
  lanes: number;
  fmaUnits: number;
  cores: number;
  /** how each factor was obtained, for the report */
  derivation: string;
}

const SIMD_FLAGS = ['sse4_2', 'avx', 'avx2', 'fma', 'f16c', 'avx512f', 'avx512dq', 'avx512bw', 'avx512vl', 'avx512_vnni', 'avx512_bf16', 'amx_tile'];

function cpuinfo(): string {
  try {
    return fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return '';
  }
}

export function machine(): Machine {
  const info = cpuinfo();
  const cpus = os.cpus();
  const field = (name: string) => [...info.matchAll(new RegExp(`^${name}\\s*:\\s*(.*)$`, 'gm'))].map((m) => m[1].trim());
  const mhzs = field('cpu MHz').map(Number).filter((v) => v > 0);
  const speed = cpus.length ? cpus[0].speed : 0;
  const mhz = mhzs.length ? Math.max(...mhzs) : speed;
  const mhzSource = mhzs.length ? "/proc/cpuinfo 'cpu MHz' (highest)" : speed > 0 ? 'os.cpus() speed' : 'unknown';
  // Physical cores: distinct (physical id, core id) pairs.
  const blocks = info.split(/\n\s*\n/).filter((b) => /^processor/m.test(b));
  const pairs = new Set(blocks.map((b) => `${/^physical id\s*:\s*(\d+)/m.exec(b)?.[1]}:${/^core id\s*:\s*(\d+)/m.exec(b)?.[1]}`));
  const topo = blocks.length > 0 && blocks.every((b) => /^core id/m.test(b));
  const flags = new Set((field('flags')[0] ?? '').split(/\s+/));
  return {
    cpuModel: field('model name')[0] ?? (cpus[0]?.model || 'unknown'),
    logicalCpus: cpus.length,
    physicalCores: topo ? pairs.size : cpus.length,
    mhz,
    mhzSource,
    flags: SIMD_FLAGS.filter((f) => flags.has(f)),
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

/** The native addon, or why it is absent. */
function nativeAddon(): import('../src/backend/native').NativeAddon | string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { loadAddon, nativeLoadError } = require('../src/backend/native') as typeof import('../src/backend/native');
    return loadAddon() ?? `native addon not loaded (${nativeLoadError()})`;
  } catch (e) {
    return `native addon not loaded (${(e as Error).message.split('\n')[0]})`;
  }
}

/** The ISA the addon dispatches to, or null with the addon absent. */
export function nativeIsa(): string | null {
  const addon = nativeAddon();
  return typeof addon === 'string' ? null : addon.cpuInfo().isa;
}

export function fp32Peak(m: Machine, cores = m.physicalCores): Peak {
  const isa = nativeIsa();
  let lanes: number;
  let laneSource: string;
  if (isa) {
    lanes = isa === 'avx512' ? 16 : isa === 'avx2' ? 8 : 4;
    laneSource = `the native kernels dispatch to ${isa}`;
  } else {
    lanes = m.flags.includes('avx512f') ? 16 : m.flags.includes('avx2') && m.flags.includes('fma') ? 8 : 4;
    laneSource = `from /proc/cpuinfo flags (native addon not loaded)`;
  }
  const fmaUnits = 2;
  const gflops = (cores * fmaUnits * lanes * 2 * m.mhz) / 1000;
  const derivation =
    `${cores} cores x ${fmaUnits} FMA units (assumed, current x86) x ${lanes} fp32 lanes (${laneSource}) x 2 flops/FMA x ` +
    `${(m.mhz / 1000).toFixed(3)} GHz (${m.mhzSource}) = ${gflops.toFixed(1)} GFLOP/s`;
  return { gflops, lanes, fmaUnits, cores, derivation };
}

export interface MeasuredPeak {
  gflops: number;
  threads: number;
  derivation: string;
}

/**
 * The fp32 FMA rate the native kernels' build reaches on `threads` threads, measured (the addon's
 * fmaRate: independent FMA chains in registers, no memory): what a kernel can reach on this
 * machine, where fp32Peak's nominal clock may be far from the one the cores run at (a virtual
 * machine's 'cpu MHz'). A string says why it was not measured.
 */
export function measuredPeak(threads: number, seconds = 0.3): MeasuredPeak | string {
  const addon = nativeAddon();
  if (typeof addon === 'string') return addon;
  const before = addon.getThreads();
  addon.setThreads(threads);
  try {
    const r = addon.fmaRate(seconds);
    if (!r) return `the ${addon.cpuInfo().isa} kernels have no FMA loop to measure`;
    const derivation =
      `measured: ${r.chains} independent FMA chains of ${r.lanes} fp32 lanes (${r.isa}) in registers, ` +
      `${r.oneThread.toFixed(1)} GFLOP/s on one thread, ${r.allThreads.toFixed(1)} on ${r.threads} at once`;
    return { gflops: r.allThreads, threads: r.threads, derivation };
  } finally {
    addon.setThreads(before);
  }
}

export function describeMachine(m: Machine): string {
  const cores = m.physicalCores === m.logicalCpus ? `${m.logicalCpus} cores` : `${m.physicalCores} cores / ${m.logicalCpus} threads`;
  // The load average says how much else ran: on a shared machine every figure shrinks with it.
  const load = os.loadavg()[0];
  return `${m.cpuModel}, ${cores}, ${(m.mhz / 1000).toFixed(2)} GHz, flags: ${m.flags.join(' ')}; node ${m.node}; ${m.os}; load average ${load.toFixed(1)}`;
}
