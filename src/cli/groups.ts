/**
 * `slimprune groups`: for each listed parameter, everything that is sliced with it when its
 * output channels are pruned (its norm, the next convs' inputs, residual partners, concat
 * offsets, depthwise `groups`), with the axis. Shows what `-p` really touches before pruning.
 */
import type { Command } from 'commander';
import type { Subcommand } from './command';
import { addConfigFlags, loadCliConfig, parseConfigOptions, parseParams, type ConfigOptions } from './options';
import { buildModel, checkParamNames, loadStage, type GroupMember } from './stages';

export interface GroupsOptions extends ConfigOptions {
  params: string[];
  json: boolean;
}

function describeMember(m: GroupMember): string {
  if (m.kind === 'param') return `${m.param}  axis ${m.axis}${m.role ? `  (${m.role})` : ''}`;
  if (m.kind === 'attr') return `${m.node}.${m.attr}`;
  return `${m.value}  axis ${m.axis}  (value)`;
}

export const groupsCommand: Subcommand<GroupsOptions> = {
  name: 'groups',
  summary: 'show what pruning each listed parameter also slices',
  define(cmd: Command) {
    addConfigFlags(cmd)
      .option('-p, --pruned_params <names...>', 'parameters whose groups to show, comma or space separated (default: every group)')
      .option('--json', 'machine-readable output');
  },
  validate(opts) {
    const params = parseParams('--pruned_params', opts.pruned_params);
    return { ...parseConfigOptions(opts), params, json: opts.json === true };
  },
  run(o, ctx) {
    const cfg = loadCliConfig(o);
    const model = buildModel(cfg, 'train', ctx.stages);
    const pruner = loadStage('prune', ctx.stages);
    if (o.params.length === 0) {
      // Every group of the graph: master conv, then each member with its axis.
      const all = pruner.listGroups(model.graph);
      if (o.json) return ctx.out(JSON.stringify(all));
      for (const g of all) {
        if (g.unprunable) {
          ctx.out(`${g.master}: ${g.channels} channels, not prunable (${g.unprunable})`);
          continue;
        }
        ctx.out(`${g.master}: ${g.channels} channels, ${g.members.length} members`);
        for (const m of g.members) {
          const where = m.param ? `${m.param}  axis ${m.axis}` : m.value ? `${m.value}  axis ${m.axis}  (value)` : `${m.node}.${m.attr}`;
          ctx.out(`  ${where}${m.role ? `  (${m.role})` : ''}`);
        }
      }
      return;
    }
    checkParamNames(model.graph, o.params);
    const groups = o.params.map((p) => {
      const g = pruner.groupOf(model.graph, p);
      return { param: p, root: g.root, channels: g.channels, members: g.members.map(({ kind, param, value, node, attr, axis, role }) => ({ kind, param, value, node, attr, axis, role })) };
    });
    if (o.json) return ctx.out(JSON.stringify(groups));
    for (const g of groups) {
      ctx.out(`${g.param}: ${g.channels} channels, ${g.members.length} members`);
      for (const m of g.members) ctx.out(`  ${describeMember(m)}`);
    }
  },
};
