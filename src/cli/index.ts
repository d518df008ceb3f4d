/**
 * The `slimprune` command line: one subcommand per PaddleDetection slim script, with its flags
 * verbatim, so `python slim/prune/prune.py -c ... --pruned_params ...` becomes
 * `slimprune prune -c ... --pruned_params ...`. Adding a subcommand is one file and one line
 * in SUBCOMMANDS.
 *
 * Errors: one line on stderr, exit 2 for usage/config mistakes, 1 for runtime failures; the
 * stack trace only with SLIMPRUNE_DEBUG=1.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command, CommanderError } from 'commander';
import type { CliContext, CliIO, Subcommand } from './command';
import { EXIT_OK, EXIT_USAGE, exitCodeOf, oneLine } from './errors';
import { documentKebabAliases, normalizeKebab } from './options';
import type { StageOverrides } from './stages';
import { pruneCommand } from './prune';
import { evalCommand } from './eval';
import { exportCommand } from './export';
import { sensitivityCommand } from './sensitivity';
import { flopsCommand } from './flops';
import { groupsCommand } from './groups';
import { datasetCommand } from './dataset';
import { trainCommand } from './train';
import { inferCommand } from './infer';
import { ratiosCommand } from './ratios';
import { workerCommand } from './worker';

export const SUBCOMMANDS: ReadonlyArray<Subcommand<any>> = [
  pruneCommand,
  evalCommand,
  exportCommand,
  sensitivityCommand,
  flopsCommand,
  groupsCommand,
  datasetCommand,
  trainCommand,
  inferCommand,
  ratiosCommand,
  workerCommand,
];

export interface ParsedCommand {
  command: Subcommand<any>;
  options: unknown;
}

const processIO: CliIO = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
};

function packageVersion(): string {
  // src/cli -> package root is two levels up; dist/src/cli three.
  for (const up of ['../..', '../../..']) {
    const p = path.join(__dirname, up, 'package.json');
    if (fs.existsSync(p)) return (JSON.parse(fs.readFileSync(p, 'utf8')) as { version: string }).version;
  }
  return '0.0.0';
}

function buildProgram(io: CliIO, onAction: (c: Subcommand<any>, opts: Record<string, unknown>) => void): Command {
  const program = new Command('slimprune')
    .description('Prune the channels of convolutional detectors, retrain, evaluate and export them (PaddleDetection slim/prune workflow).')
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s), outputError: () => undefined })
    .showSuggestionAfterError(true)
    .allowExcessArguments(false);
  for (const sub of SUBCOMMANDS) {
    const cmd = program.command(sub.name).description(sub.summary).allowExcessArguments(false);
    sub.define(cmd);
    documentKebabAliases(cmd);
    cmd.action((opts: Record<string, unknown>) => onAction(sub, opts));
    // The program too: else it splits the words after the child's name into operands and
    // options before the parent sees them, and the parent takes the child's options.
    if (sub.subcommands?.length) [program, cmd].forEach((c) => c.enablePositionalOptions());
    for (const child of sub.subcommands ?? []) {
      const c = cmd.command(child.name).description(child.summary).allowExcessArguments(false);
      child.define(c);
      documentKebabAliases(c);
      // Errors name the command as typed: "slimprune sensitivity merge: ...".
      const named = { ...child, name: `${sub.name} ${child.name}` };
      c.action((...a: unknown[]) => {
        const me = a[a.length - 1] as Command;
        onAction(named, { ...me.opts(), operands: me.args });
      });
    }
  }
  return program;
}

/**
 * Parses and validates `args` (the words after `slimprune`) without running anything.
 * Throws CommanderError (help, version, usage) or UsageError.
 */
export function parseCommand(args: readonly string[], io: CliIO = processIO): ParsedCommand {
  const got: { parsed?: ParsedCommand } = {};
  const program = buildProgram(io, (command, opts) => {
    got.parsed = { command, options: command.validate(opts) };
  });
  const flags = program.commands.flatMap((c) => [c, ...c.commands]).flatMap((c) => c.options.map((o) => o.long ?? ''));
  program.parse(normalizeKebab(args, flags), { from: 'user' });
  if (!got.parsed) {
    throw new CommanderError(EXIT_USAGE, 'slimprune.noCommand', `expected a command: ${SUBCOMMANDS.map((s) => s.name).join(', ')}`);
  }
  return got.parsed;
}

/** Runs the CLI on `args`; resolves to the exit code. */
export async function main(args: readonly string[], opts: { io?: CliIO; stages?: StageOverrides } = {}): Promise<number> {
  const io = opts.io ?? processIO;
  const ctx: CliContext = { io, stages: opts.stages ?? {}, out: (line) => io.stdout(line + '\n') };
  let name = '';
  try {
    const parsed = parseCommand(args, io);
    name = parsed.command.name;
    await parsed.command.run(parsed.options, ctx);
    return EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(err.code)) {
        // Help asked for: exit 0; help shown because no command was given: already on stderr.
        return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
      }
      io.stderr(`slimprune: ${oneLine(err)} (see slimprune --help)\n`);
      return EXIT_USAGE;
    }
    name ||= args.find((a) => SUBCOMMANDS.some((s) => s.name === a)) ?? '';
    io.stderr(`slimprune${name ? ' ' + name : ''}: ${oneLine(err)}\n`);
    if (process.env.SLIMPRUNE_DEBUG === '1' && err instanceof Error && err.stack) io.stderr(err.stack + '\n');
    return exitCodeOf(err);
  }
}

/** Entry point of bin/slimprune.js. */
export function run(argv: readonly string[] = process.argv): void {
  // A reader that stops early (`slimprune ... | head`) is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  main(argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
