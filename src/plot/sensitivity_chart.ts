/**
 * The sensitivity figure: one curve per parameter, loss against pruned ratio (like the figure
 * PaddleDetection publishes with its sensitivities), and under it a bar chart of the chosen
 * ratios when there are some. Described in Vega-Lite and rendered headless by Vega to SVG;
 * PNG is that SVG rasterised by sharp.
 */
import * as path from 'path';
import type { SensitivityFile } from '../prune/sensitivity_file';

export interface ChosenBars {
  /** param -> ratio */
  ratios: Record<string, number>;
  /** how they were chosen, e.g. "loss <= 0.02" */
  title: string;
}

/** The Vega-Lite spec of the figure (plain JSON). */
export function sensitivitySpec(file: SensitivityFile, chosen: ChosenBars | null): Record<string, unknown> {
  const points = Object.entries(file.sensitivities).flatMap(([param, row]) =>
    Object.entries(row)
      .map(([r, loss]) => ({ param, ratio: Number(r), loss }))
      .sort((a, b) => a.ratio - b.ratio),
  );
  const params = Object.keys(file.sensitivities);
  const curves = {
    title: `loss (base - ${file.metric}) / base by pruned ratio, base ${file.metric} ${file.base.toFixed(4)}`,
    width: 560,
    height: 320,
    data: { values: points },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'ratio', type: 'quantitative', title: 'pruned ratio', scale: { domain: [0, 1] } },
      y: { field: 'loss', type: 'quantitative', title: 'loss' },
      color: { field: 'param', type: 'nominal', title: 'parameter', sort: params, legend: { labelLimit: 320 }, scale: { scheme: params.length > 10 ? 'category20' : 'category10' } },
    },
  };
  const views: unknown[] = [curves];
  if (chosen) {
    const bars = params.map((param) => ({ param, ratio: chosen.ratios[param] ?? 0 }));
    views.push({
      title: `chosen ratios (${chosen.title})`,
      width: 560,
      height: 200,
      data: { values: bars },
      mark: { type: 'bar', color: '#4c78a8' },
      encoding: {
        x: { field: 'param', type: 'nominal', title: 'parameter', sort: params, axis: { labelAngle: -45, labelLimit: 240 } },
        y: { field: 'ratio', type: 'quantitative', title: 'pruned ratio', scale: { domain: [0, 1] } },
      },
    });
  }
  return { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', background: 'white', padding: 12, vconcat: views };
}

/** The figure as an SVG document. */
export async function sensitivitySvg(file: SensitivityFile, chosen: ChosenBars | null): Promise<string> {
  const vl = await import('vega-lite');
  const vega = await import('vega');
  const compiled = vl.compile(sensitivitySpec(file, chosen) as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The figure in the format of `out`'s extension (.svg or .png), as bytes to write. */
export async function renderSensitivity(out: string, file: SensitivityFile, chosen: ChosenBars | null): Promise<Uint8Array | string> {
  const ext = path.extname(out).toLowerCase();
  if (ext !== '.svg' && ext !== '.png') throw new RangeError(`${out}: expected a .svg or .png file name, got '${ext || 'no extension'}'`);
  const svg = await sensitivitySvg(file, chosen);
  if (ext === '.svg') return svg;
  const sharp = (await import('sharp')).default;
  // 144 dpi: twice the SVG's pixel size, sharp enough for a README.
  return sharp(Buffer.from(svg), { density: 144 }).png().toBuffer();
}
