// The chart of a result: median time per case per system (log scale, min–max as a rule),
// drawn with Vega-Lite and rendered to SVG by Vega's headless renderer (Node, no canvas).
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { adapterLine } from './report.js';
import { caseLabel } from './stats.js';
import { SYSTEMS, type BenchResult } from './types.js';

const COLORS: Record<string, string> = {
  ours: '#d62728',
  reference: '#7f7f7f',
  'predict-loop': '#ff7f0e',
  'tfjs-webgpu': '#1f77b4',
  'tfjs-cpu': '#2ca02c',
  'tfjs-wasm': '#9467bd',
  onnxruntime: '#8c564b',
  'ort-web-webgpu': '#e377c2',
  'ort-web-wasm': '#bcbd22',
};

export function chartSpec(r: BenchResult): TopLevelSpec {
  const rows = r.cases
    .filter((c) => c.valid && c.medianMs !== null)
    .map((c) => ({
      case: caseLabel(c.kind, c.shape),
      system: c.system,
      medianMs: c.medianMs,
      minMs: c.minMs,
      maxMs: c.maxMs,
      label: `${c.medianMs! >= 100 ? c.medianMs!.toFixed(0) : c.medianMs!.toPrecision(2)} ms${c.timedSteps < c.shape.T ? '*' : ''}`,
    }));
  const cases = [...new Set(rows.map((d) => d.case))];
  const systems = SYSTEMS.filter((s) => rows.some((d) => d.system === s));
  const bar = 14;
  const y = { field: 'case', type: 'nominal', sort: cases, title: null, axis: { labelLimit: 320, labelFontSize: 12 } } as const;
  const yOffset = { field: 'system', type: 'nominal', sort: systems, scale: { paddingInner: 0.1 } } as const;
  const x = { type: 'quantitative', scale: { type: 'log' }, title: 'median time per run, ms (log scale; bar ends: min – max)' } as const;
  const scaled = r.cases.some((c) => c.timedSteps < c.shape.T);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `LSTM time per run — ${r.runtime}, ${r.adapter.description || r.adapter.architecture}`,
      subtitle: [adapterLine(r), `${r.date.slice(0, 10)}${r.quick ? ', --quick' : ''}${scaled ? '; * timed on a prefix of the steps and scaled' : ''}`],
      anchor: 'start',
      fontSize: 15,
    },
    width: 640,
    height: { step: bar },
    data: { values: rows },
    encoding: { y, yOffset },
    layer: [
      {
        mark: { type: 'bar', height: bar - 2 },
        encoding: {
          x: { ...x, field: 'medianMs', stack: null },
          color: {
            field: 'system',
            type: 'nominal',
            sort: systems,
            scale: { domain: systems, range: systems.map((s) => COLORS[s]) },
            legend: { title: 'system', orient: 'top' },
          },
        },
      },
      { mark: { type: 'rule', color: 'black' }, encoding: { x: { ...x, field: 'minMs' }, x2: { field: 'maxMs' } } },
      { mark: { type: 'text', align: 'left', dx: 4, fontSize: 10 }, encoding: { x: { ...x, field: 'maxMs' }, text: { field: 'label' } } },
    ],
    config: { font: 'sans-serif', view: { stroke: null }, axis: { grid: true } },
  } as TopLevelSpec;
}

export async function chartSvg(r: BenchResult): Promise<string> {
  const view = new vega.View(vega.parse(compile(chartSpec(r)).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}
