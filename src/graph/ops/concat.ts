/**
 * concat along attr axis (default 1, channels): every input agrees on the other dims.
 * Backward splits dy into the inputs' extents (shapes only).
 */
import * as ops from '../../backend/ops';
import type { OpDef } from '../op_def';
import { axisOf, fail, inputCount, intAttr } from './attrs';

export const concat: OpDef = {
  type: 'concat',
  saves: { inputs: [], outputs: [] },
  inferShape({ node, attrs, inputs }) {
    inputCount(node, [1, Infinity]);
    const first = inputs[0];
    const a = axisOf(node, intAttr(node, attrs, 'axis', 1), first.length);
    let total = 0;
    inputs.forEach((s, i) => {
      const ok = s.length === first.length && s.every((d, k) => k === a || d === first[k]);
      if (!ok) fail('concat', `inputs agreeing with [${first.join(', ')}] except on axis ${a}`, `input ${i} (${node.inputs[i]}) of node ${node.id}`, `[${s.join(', ')}]`);
      total += s[a];
    });
    return [first.map((d, k) => (k === a ? total : d))];
  },
  forward({ node, attrs, inputs }) {
    return [ops.concat(inputs, axisOf(node, intAttr(node, attrs, 'axis', 1), inputs[0].rank))];
  },
  backward({ node, attrs, inputShapes, dOutputs, needInput }) {
    const dy = dOutputs[0];
    if (!dy) return {};
    const a = axisOf(node, intAttr(node, attrs, 'axis', 1), dy.rank);
    const parts = ops.split(dy, inputShapes.map((s) => s[a]), a);
    return { inputs: parts.map((p, i) => (needInput(i) ? p : (p.dispose(), null))) };
  },
};
