/** One measured figure of a scenario, with the target it was given before the scenario ran. */
export interface Figure {
  scenario: string;
  measure: string;
  value: string;
  target: string;
  pass: boolean;
}

/** Collects a scenario's figures; each records its value against the target written before the run. */
export class Figures {
  readonly all: Figure[] = [];

  constructor(private readonly scenario: string) {}

  /** `value` must equal `target`. */
  exactly(measure: string, value: number | string, target: number | string): void {
    this.all.push({ scenario: this.scenario, measure, value: String(value), target: `= ${target}`, pass: value === target });
  }

  /** `value` must be at most `target`. */
  atMost(measure: string, value: number, target: number, unit = ''): void {
    this.all.push({ scenario: this.scenario, measure, value: `${value}${unit}`, target: `<= ${target}${unit}`, pass: value <= target });
  }

  /** `value` must be at least `target`. */
  atLeast(measure: string, value: number, target: number, unit = ''): void {
    this.all.push({ scenario: this.scenario, measure, value: `${value}${unit}`, target: `>= ${target}${unit}`, pass: value >= target });
  }

  /** The scenario could not finish: the error is the figure, and it fails. */
  aborted(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.all.push({ scenario: this.scenario, measure: 'completed', value: `no: ${message.slice(0, 160)}`, target: 'yes', pass: false });
  }
}

/** The figures as a fixed-width table, one row each. */
export function figureTable(figures: readonly Figure[]): string {
  const header = ['scenario', 'measure', 'value', 'target', 'result'];
  const rows = figures.map((figure) => [figure.scenario, figure.measure, figure.value, figure.target, figure.pass ? 'pass' : 'FAIL']);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}
