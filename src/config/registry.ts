/**
 * The component registry: every table of components/ in one name -> entry map. A name is
 * unique across kinds (it is also the YAML tag `!Name` and the top-level section name), which
 * is checked here once at load. Adding a component is one entry in its kind's table; adding a
 * kind is one table plus one line in TABLES.
 */
import type { ComponentDef, Kind, Resolved } from './schema';
import { configError, didYouMean } from './errors';
import { ARCHITECTURES } from './components/architectures';
import { BACKBONES } from './components/backbones';
import { NECKS } from './components/necks';
import { HEADS } from './components/heads';
import { LOSSES } from './components/losses';
import { ROI_EXTRACTORS } from './components/roi_extractors';
import { OPS } from './components/ops';
import { OPTIM, SCHEDULERS, OPTIMIZERS, REGULARIZERS } from './components/optim';
import { DATASETS } from './components/datasets';
import { TRANSFORMS } from './components/transforms';
import { READERS, INPUTS } from './components/readers';

const TABLES: ReadonlyArray<Record<string, ComponentDef>> = [
  ARCHITECTURES,
  BACKBONES,
  NECKS,
  HEADS,
  LOSSES,
  ROI_EXTRACTORS,
  OPS,
  OPTIM,
  SCHEDULERS,
  OPTIMIZERS,
  REGULARIZERS,
  DATASETS,
  TRANSFORMS,
  READERS,
  INPUTS,
];

export const REGISTRY: ReadonlyMap<string, ComponentDef> = (() => {
  const m = new Map<string, ComponentDef>();
  for (const t of TABLES) {
    for (const def of Object.values(t)) {
      const prev = m.get(def.name);
      if (prev) throw new Error(`registry: component ${def.name} is defined as both ${prev.kind} and ${def.kind}`);
      m.set(def.name, def);
    }
  }
  return m;
})();

export function lookup(name: string): ComponentDef | undefined {
  return REGISTRY.get(name);
}

/** Every entry of the given kinds, in table order. */
export function componentsOfKind(...kinds: Kind[]): ComponentDef[] {
  return [...REGISTRY.values()].filter((d) => kinds.includes(d.kind));
}

/** Names of every field marked shared in any component (these may also be set globally). */
export const SHARED_KEYS: ReadonlySet<string> = new Set(
  [...REGISTRY.values()].flatMap((d) => Object.entries(d.fields).filter(([, fl]) => fl.shared).map(([k]) => k)),
);

/**
 * The model builder's guard: throws `architecture FasterRCNN is not available yet` for a
 * registered architecture the builder cannot build, and a config error for an unknown name.
 */
export function assertArchitectureAvailable(name: string): void {
  const def = lookup(name);
  if (!def || def.kind !== 'architecture') {
    const names = componentsOfKind('architecture').map((d) => d.name);
    throw configError(`expected one of ${names.join(', ')} for architecture, got '${name}'${didYouMean(name, names)}`, undefined, 'architecture');
  }
  if (!def.available) throw new Error(`architecture ${name} is not available yet`);
}

/** Every table merged: `ComponentConfig<'MobileNet'>` is the resolved type of a MobileNet section. */
export type ComponentTables = typeof ARCHITECTURES &
  typeof BACKBONES &
  typeof NECKS &
  typeof HEADS &
  typeof LOSSES &
  typeof ROI_EXTRACTORS &
  typeof OPS &
  typeof OPTIM &
  typeof SCHEDULERS &
  typeof OPTIMIZERS &
  typeof REGULARIZERS &
  typeof DATASETS &
  typeof TRANSFORMS &
  typeof READERS &
  typeof INPUTS;

export type ComponentConfig<N extends keyof ComponentTables> = Resolved<ComponentTables[N]['fields']>;
