/**
 * The static graph: nodes in creation order (which is also a valid execution order, since a
 * node can only consume values that exist when it is added), parameters in creation order
 * (what --print_params lists), and every value with its inferred shape.
 *
 * Shapes are inferred as nodes are added and again by inferShapes() after a pruner rewrites
 * parameter shapes or the input size changes (multi-scale training), so every value always has
 * a shape. Parameter data (Param.tensor) is optional: a graph can be built, printed, pruned and
 * counted without allocating any weights.
 *
 * The graph owns its parameter tensors and the executor's pool of recycled storages
 * (memory_plan.ts): dispose() (or `using g = ...`) frees every one of them
 * on whatever backend holds it (WASM memory is only given back this way; the garbage collector
 * never sees it). A clone shares the tensors of its source, so disposing either frees them for both.
 */
import '../backend/dispose_symbol';
import { releaseMemoryPool } from './memory_plan';
import { opDef } from './ops';
import { fail, GraphError } from './ops/attrs';
import type { Attrs, Dims, Node, Param, ValueInfo } from './types';

export class Graph {
  readonly nodes: Node[] = [];
  readonly params = new Map<string, Param>();
  readonly values = new Map<string, ValueInfo>();
  readonly inputs: string[] = [];
  outputs: string[] = [];
  private readonly nodeIds = new Map<string, Node>();

  /**
   * Frees every parameter tensor (parameters keep their shapes, so the graph can still be
   * printed, pruned or given new weights). Safe to call more than once.
   */
  dispose(): void {
    releaseMemoryPool(this);
    for (const p of this.params.values()) {
      p.tensor?.dispose();
      p.tensor = undefined;
    }
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Declares a graph input (e.g. 'image' [N, 3, H, W]). */
  addInput(name: string, shape: Dims): string {
    if (this.values.has(name)) fail('graph', 'a new value name', 'input', name);
    this.values.set(name, { name, shape: [...shape] });
    this.inputs.push(name);
    return name;
  }

  /**
   * Adds a parameter. A name already present is shared (Paddle shares parameters by name) when
   * its shape agrees, and refused otherwise.
   */
  addParam(p: Param): Param {
    const old = this.params.get(p.name);
    if (old) {
      if (old.shape.length !== p.shape.length || old.shape.some((d, i) => d !== p.shape[i])) {
        fail('graph', `shape [${old.shape.join(', ')}] (parameter already defined)`, `parameter ${p.name}`, `[${p.shape.join(', ')}]`);
      }
      return old;
    }
    const q: Param = { ...p, shape: [...p.shape] };
    this.params.set(p.name, q);
    return q;
  }

  param(name: string): Param {
    const p = this.params.get(name);
    if (!p) fail('graph', 'the name of a parameter of this graph', 'param', name);
    return p;
  }

  /** Parameters in creation order. */
  paramList(): Param[] {
    return [...this.params.values()];
  }

  value(name: string): ValueInfo {
    const v = this.values.get(name);
    if (!v) fail('graph', 'the name of a value of this graph', 'value', name);
    return v;
  }

  shapeOf(name: string): Dims {
    return this.value(name).shape;
  }

  node(id: string): Node {
    const n = this.nodeIds.get(id);
    if (!n) fail('graph', 'the id of a node of this graph', 'node', id);
    return n;
  }

  hasNode(id: string): boolean {
    return this.nodeIds.has(id);
  }

  /** A node id not yet used, from a preferred one. */
  freshId(prefer: string): string {
    const taken = (s: string) => this.nodeIds.has(s) || this.values.has(s);
    if (!taken(prefer)) return prefer;
    for (let i = 1; ; i++) if (!taken(`${prefer}_${i}`)) return `${prefer}_${i}`;
  }

  /** Adds a node, checks its inputs and parameters exist, infers its output shapes. */
  addNode(spec: { id: string; type: string; inputs: string[]; outputs: string[]; attrs?: Attrs; params?: Record<string, string> }): Node {
    if (this.nodeIds.has(spec.id)) fail('graph', 'a new node id', 'node', spec.id);
    const node: Node = { id: spec.id, type: spec.type, inputs: [...spec.inputs], outputs: [...spec.outputs], attrs: { ...(spec.attrs ?? {}) }, params: { ...(spec.params ?? {}) } };
    for (const v of node.inputs) if (!this.values.has(v)) fail(node.type, 'an existing value', `input of node ${node.id}`, v);
    for (const v of node.outputs) if (this.values.has(v)) fail(node.type, 'a new value name', `output of node ${node.id}`, v);
    for (const p of Object.values(node.params)) if (!this.params.has(p)) fail(node.type, 'a defined parameter', `node ${node.id}`, p);
    const shapes = this.inferNode(node);
    this.nodes.push(node);
    this.nodeIds.set(node.id, node);
    node.outputs.forEach((v, i) => this.values.set(v, { name: v, shape: shapes[i], producer: node.id }));
    return node;
  }

  private inferNode(node: Node): Dims[] {
    const def = opDef(node.type);
    const roles = def.paramRoles ?? { required: [] };
    for (const r of roles.required) if (!node.params[r]) fail(node.type, `a parameter bound to role '${r}'`, `node ${node.id}`, 'none');
    const allowed = new Set([...roles.required, ...(roles.optional ?? [])]);
    for (const r of Object.keys(node.params)) if (!allowed.has(r)) fail(node.type, `parameter roles among ${[...allowed].join(', ') || 'none'}`, `node ${node.id}`, r);
    const params: Record<string, Dims> = {};
    for (const [role, name] of Object.entries(node.params)) params[role] = this.param(name).shape;
    const shapes = def.inferShape({ node, attrs: node.attrs, inputs: node.inputs.map((v) => this.shapeOf(v)), params });
    if (shapes.length !== node.outputs.length) {
      throw new GraphError(`${node.type}: expected ${shapes.length} output name(s) for node ${node.id}, got ${node.outputs.length}`);
    }
    for (const s of shapes) {
      if (s.some((d) => !Number.isInteger(d) || d < 1)) {
        throw new GraphError(`${node.type}: expected a non-empty output for node ${node.id}, got [${s.join(', ')}] from inputs ${node.inputs.map((v) => `[${this.shapeOf(v).join(', ')}]`).join(', ')}`);
      }
    }
    return shapes;
  }

  /**
   * Re-infers every value's shape in graph order, after parameter shapes changed (pruning) or
   * with new input shapes (e.g. another image size). Throws naming the first node that no
   * longer fits.
   */
  inferShapes(inputShapes: Record<string, Dims> = {}): void {
    for (const [name, shape] of Object.entries(inputShapes)) {
      if (!this.inputs.includes(name)) fail('graph', `one of the inputs ${this.inputs.join(', ')}`, 'input shape', name);
      this.value(name).shape = [...shape];
    }
    for (const node of this.nodes) {
      const shapes = this.inferNode(node);
      node.outputs.forEach((v, i) => (this.value(v).shape = shapes[i]));
    }
  }

  /** Output shapes for given input shapes, without changing the graph. */
  shapesFor(inputShapes: Record<string, Dims>): Map<string, Dims> {
    const saved = new Map([...this.values].map(([k, v]) => [k, v.shape]));
    try {
      this.inferShapes(inputShapes);
      return new Map([...this.values].map(([k, v]) => [k, [...v.shape]]));
    } finally {
      for (const [k, s] of saved) this.value(k).shape = s;
    }
  }

  /** Nodes reading a value, in graph order. */
  consumers(value: string): Node[] {
    return this.nodes.filter((n) => n.inputs.includes(value));
  }

  /** The node producing a value (undefined for graph inputs). */
  producer(value: string): Node | undefined {
    const id = this.value(value).producer;
    return id === undefined ? undefined : this.node(id);
  }

  /** Nodes using a parameter (more than one when shared). */
  paramUsers(param: string): Node[] {
    return this.nodes.filter((n) => Object.values(n.params).includes(param));
  }

  /** A structural copy: new nodes, values and params; parameter tensors are shared, not copied. */
  clone(): Graph {
    const g = new Graph();
    for (const i of this.inputs) g.addInput(i, this.shapeOf(i));
    for (const p of this.params.values()) g.params.set(p.name, { ...p, shape: [...p.shape], init: { ...p.init } });
    for (const n of this.nodes) {
      const c: Node = { ...n, inputs: [...n.inputs], outputs: [...n.outputs], attrs: structuredClone(n.attrs), params: { ...n.params } };
      g.nodes.push(c);
      g.nodeIds.set(c.id, c);
      for (const v of n.outputs) g.values.set(v, { ...this.value(v), shape: [...this.shapeOf(v)] });
    }
    g.outputs = [...this.outputs];
    return g;
  }
}
