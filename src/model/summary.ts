// model.summary(): the table TF.js and Keras print — a row a layer with its name, class, output
// shape and parameter count, grouped in sections for models of several stacks — printed line by
// line (console.log unless told otherwise) and returned as one text.

/** Where summary() prints each line; null prints nothing (the text is returned either way). */
export type PrintFn = ((line: string) => void) | null;

export interface SummaryLayer {
  readonly name: string;
  countParams(): number;
  computeOutputShape(inputShape: readonly number[]): number[];
}

export interface SummarySection {
  /** A heading above the section's rows ('encoder', …); none for a plain stack. */
  title?: string;
  layers: readonly SummaryLayer[];
  /** The input shape of the section's first layer, without the batch. */
  inputShape: readonly number[];
}

const WIDTHS = [32, 28, 12] as const;

/** Formats and prints the table; returns its text. `totalParams` counts every section. */
export function printSummary(title: string, sections: readonly SummarySection[], totalParams: number, printFn: PrintFn): string {
  const rule = (c: string) => c.repeat(WIDTHS[0] + WIDTHS[1] + WIDTHS[2]);
  const row = (cells: readonly string[]) => cells[0].padEnd(WIDTHS[0]) + cells[1].padEnd(WIDTHS[1]) + cells[2].padStart(WIDTHS[2]);
  const lines = [`Model: "${title}"`, rule('_'), row(['Layer (type)', 'Output shape', 'Param #']), rule('=')];
  for (const section of sections) {
    if (section.title) lines.push(`${section.title}:`);
    let shape = [...section.inputShape];
    const indent = section.title ? '  ' : '';
    for (const layer of section.layers) {
      shape = layer.computeOutputShape(shape);
      const dims = ['batch', ...shape.map((d) => (d < 0 ? 'steps' : String(d)))].join(', ');
      lines.push(row([`${indent}${layer.name} (${layer.constructor.name})`, `[${dims}]`, String(layer.countParams())]));
    }
  }
  lines.push(rule('='), `Total params: ${totalParams}`, rule('_'));
  if (printFn) for (const line of lines) printFn(line);
  return lines.join('\n');
}
