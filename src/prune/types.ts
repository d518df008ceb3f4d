/**
 * The pruner's data model.
 *
 * A group is everything that must lose the same channels as one conv's output (its "root"):
 * parameter slices, values whose channel axis shrinks, and `groups` attributes of depthwise
 * convs. Each member carries an index mapping from the root's channel space [0, n) to the
 * indices on its own axis, as a list of steps applied in order to an index list:
 *   offset k     i -> i + k                      (an input placed at offset k of a concat)
 *   slice s, l   i -> i - s, kept if s <= i < s+l (one part of a split, one input of a concat)
 *   expand e     i -> i*e .. i*e + e-1           (flatten into fc rows, depthwise multiplier)
 * Pruning removes a set of root indices; each member removes their image. Removals of all
 * groups are unioned per (parameter, axis) before any tensor is sliced, so a param touched by
 * several groups (a conv after a concat) is sliced once with the right indices.
 */

export type Step =
  | { op: 'offset'; by: number }
  | { op: 'slice'; start: number; len: number }
  | { op: 'expand'; by: number };

/** What a parameter slice is to the group. */
export type MemberRole =
  /** a conv / fc whose output channels are the group's channels (weight output axis, bias) */
  | 'producer'
  /** a conv / fc reading the group's channels (weight input axis): the walk stops there */
  | 'consumer'
  /** a per-channel parameter passed through (batch norm, affine channel, depthwise filter) */
  | 'channel';

export interface ParamMember {
  kind: 'param';
  param: string;
  axis: number;
  /** node that reads the param, and the role it plays there (weight, bias, scale, ...) */
  node: string;
  paramRole: string;
  role: MemberRole;
  map: Step[];
}

/** A value whose channel axis (1) shrinks; listed for reports, nothing to slice. */
export interface ValueMember {
  kind: 'value';
  value: string;
  axis: number;
  map: Step[];
}

/**
 * An attribute counting channels of the node's input (map: into those channels): `groups` of
 * a depthwise conv (equal to its input channels), `sections` of a split along the channels
 * (each part loses the removed indices that fall in it).
 */
export interface AttrMember {
  kind: 'attr';
  node: string;
  attr: 'groups' | 'sections';
  map: Step[];
}

export type Member = ParamMember | ValueMember | AttrMember;

export interface Group {
  /** the parameter whose output channels define the group's index space */
  root: string;
  /** its axis holding those channels (0 for conv2d, 1 for conv2d_transpose and fc) */
  rootAxis: number;
  /** node owning the root parameter */
  rootNode: string;
  /** channel count of the root, n */
  channels: number;
  members: Member[];
}

/** One line of listGroups(): a group named after its first conv in graph order. */
export interface GroupListing {
  master: string;
  channels: number;
  /** `map` (absent for the identity) is the member's index mapping, as mapKey prints it */
  members: Array<
    | { param: string; axis: number; role: MemberRole; map?: string }
    | { value: string; axis: number; map?: string }
    | { node: string; attr: 'groups' | 'sections'; map?: string }
  >;
  /** set when the master's channels cannot be pruned, with the reason (the walk's error) */
  unprunable?: string;
}

export type Criterion = 'l1_norm' | 'l2_norm' | 'geometry_median' | 'bn_scale';
export const CRITERIA: readonly Criterion[] = ['l1_norm', 'l2_norm', 'geometry_median', 'bn_scale'];

export interface PlanOptions {
  /** parameter names (conv weights) whose output channels are pruned */
  params: string[];
  /** one ratio per param, each in [0, 1) */
  ratios: number[];
  /** default l1_norm */
  criterion?: Criterion;
  /** keep a multiple of this many channels (default 1) */
  roundTo?: number;
  /**
   * 'master' (default): channels ranked by the listed conv's own scores. 'mean': by the mean,
   * over every producer in the group (each conv feeding the same sum, every norm for
   * bn_scale), of that member's scores divided by its largest score.
   */
  groupReduction?: 'master' | 'mean';
  /** receives warnings (default: written to stderr) */
  warn?: (message: string) => void;
}

export interface PlannedGroup {
  /** the listed parameter: ratio, scores and kept indices are in its channel space */
  master: string;
  ratio: number;
  channels: number;
  /** ascending */
  kept: number[];
  /** per channel, the ranking used */
  scores: number[];
  group: Group;
}

export interface Plan {
  criterion: Criterion;
  groups: PlannedGroup[];
  warnings: string[];
}

export type ApplyMode = 'default' | 'lazy' | 'only_graph';

/** slot name (velocity, moment1, ...) -> parameter name -> tensor of the parameter's shape */
export type OptimizerSlots = Record<string, Map<string, import('../backend/tensor').Tensor> | Record<string, import('../backend/tensor').Tensor>>;

export interface ApplyOptions {
  mode?: ApplyMode;
  /** optimizer state of the graph's params: every slot of a pruned param gets the same slice */
  optimizerState?: OptimizerSlots;
  /**
   * lazy mode only: 'all' (default) zeroes every member slice; 'consumers' zeroes only the
   * input slices of the convs / fc reading the pruned channels, which removes their
   * contribution exactly as pruning does while keeping every other value (used to check a
   * pruned network against the unpruned one).
   */
  lazyMembers?: 'all' | 'consumers';
}

/** What apply returns: enough to rebuild the pruned shapes on a fresh graph (JSON safe). */
export interface PruneRecord {
  format: 'slimprune.prune';
  version: 1;
  criterion: Criterion;
  groups: Array<{ master: string; ratio: number; channels: number; kept: number[] }>;
}
