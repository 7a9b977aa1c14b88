// Counters and histograms for the request path, exposed through prom-client's registry. prom-client's
// own children hash their label values on every inc/observe (a string per call); these bind a cell
// once per label set, so a request only adds to numbers it already holds.
import type { Registry } from 'prom-client';

interface Sample {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** The part of prom-client's metric interface its Registry reads. */
abstract class Family<Cell> {
  private readonly cells = new Map<string, { labels: Record<string, string>; cell: Cell }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'histogram',
    private readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  /** The cell of one label set: made once, then kept (bind at start-up or cache the result). */
  bind(...values: string[]): Cell {
    const key = values.join('\u0000');
    let found = this.cells.get(key);
    if (!found) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((n, i) => {
        labels[n] = values[i] ?? '';
      });
      found = { labels, cell: this.newCell() };
      this.cells.set(key, found);
    }
    return found.cell;
  }

  protected abstract newCell(): Cell;
  protected abstract samples(labels: Record<string, string>, cell: Cell, out: Sample[]): void;

  async get() {
    const values: Sample[] = [];
    for (const { labels, cell } of this.cells.values()) this.samples(labels, cell, values);
    return { name: this.name, help: this.help, type: this.type, values, aggregator: 'sum' as const };
  }
}

export interface CounterCell {
  value: number;
}

export class CounterFamily extends Family<CounterCell> {
  constructor(name: string, help: string, labelNames: readonly string[], registry: Registry) {
    super(name, help, 'counter', labelNames, registry);
  }
  protected newCell(): CounterCell {
    return { value: 0 };
  }
  protected samples(labels: Record<string, string>, cell: CounterCell, out: Sample[]): void {
    out.push({ labels, value: cell.value });
  }
}

export interface HistogramCell {
  /** Per bucket (not cumulative); the last is +Inf. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

export class HistogramFamily extends Family<HistogramCell> {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    super(name, help, 'histogram', labelNames, registry);
  }

  observe(cell: HistogramCell, value: number): void {
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]) i++;
    cell.counts[i]++;
    cell.sum += value;
    cell.count++;
  }

  protected newCell(): HistogramCell {
    return { counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
  }

  /** Series appear once observed: every RPC is bound at start-up, and most are never called. */
  protected samples(labels: Record<string, string>, cell: HistogramCell, out: Sample[]): void {
    if (cell.count === 0) return;
    let cumulative = 0;
    for (let i = 0; i <= this.bounds.length; i++) {
      cumulative += cell.counts[i];
      const le = i < this.bounds.length ? this.bounds[i] : '+Inf';
      out.push({ labels: { ...labels, le }, value: cumulative, metricName: `${this.name}_bucket` });
    }
    out.push({ labels, value: cell.sum, metricName: `${this.name}_sum` });
    out.push({ labels, value: cell.count, metricName: `${this.name}_count` });
  }
}

/**
 * Cells keyed by a label value that comes from elsewhere (an audit event's name, a reason): at
 * most `max` distinct values, each a plain token, so that no value a client controls can grow the
 * output or leak into it; the rest count under "other".
 */
export class BoundedCells<Cell> {
  private readonly cells = new Map<string, Cell>();
  constructor(
    private readonly make: (value: string) => Cell,
    private readonly max = 64,
  ) {}

  get(value: string): Cell {
    let cell = this.cells.get(value);
    if (cell === undefined) {
      const ok = this.cells.size < this.max && TOKEN.test(value);
      cell = ok ? this.make(value) : this.other();
      if (ok) this.cells.set(value, cell);
    }
    return cell;
  }

  private otherCell: Cell | undefined;
  private other(): Cell {
    this.otherCell ??= this.make('other');
    return this.otherCell;
  }
}

const TOKEN = /^[a-z][a-z0-9_.:-]{0,63}$/;
