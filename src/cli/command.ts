/**
 * The shape of a subcommand (one file each) and the context it runs in. A subcommand declares
 * its flags on a commander Command, turns commander's option bag into typed options (all flag
 * validation happens there, before any file is read), then runs.
 */
import type { Command } from 'commander';
import type { GraphLike, StageOverrides } from './stages';
import { listParams } from './stages';

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
}

export interface CliContext {
  io: CliIO;
  stages: StageOverrides;
  /** one line to stdout */
  out(line: string): void;
}

export interface Subcommand<O = unknown> {
  name: string;
  summary: string;
  define(cmd: Command): void;
  /** typed, validated options; throws UsageError */
  validate(opts: Record<string, unknown>): O;
  run(options: O, ctx: CliContext): Promise<void> | void;
  /**
   * `slimprune <name> <child> ...`: the parent's own flags go before the child's name; a
   * child's positional arguments reach its validate() as `operands` (strings).
   */
  subcommands?: ReadonlyArray<Subcommand<any>>;
}

/**
 * `--print_params`: `name: [d0, d1, ...]` per parameter in graph order, then the totals; with
 * --json one object `{params: [{name, shape}], count, size_mb}` (size: fp32 bytes / 2^20).
 */
export function printParams(graph: GraphLike, json: boolean, ctx: CliContext): void {
  const params = listParams(graph);
  const count = params.reduce((n, p) => n + p.shape.reduce((a, d) => a * d, 1), 0);
  const sizeMb = (count * 4) / 2 ** 20;
  if (json) {
    ctx.out(JSON.stringify({ params: params.map((p) => ({ name: p.name, shape: [...p.shape] })), count, size_mb: sizeMb }));
    return;
  }
  for (const p of params) ctx.out(`${p.name}: [${p.shape.join(', ')}]`);
  ctx.out(`total: ${params.length} parameter tensors, ${count} values, ${sizeMb.toFixed(2)} MB (fp32)`);
}
