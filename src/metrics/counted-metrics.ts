/**
 * Counters and histograms counted here and rendered in Prometheus's text format exactly as
 * prom-client renders its own. prom-client hashed and validated the label object on every
 * increment, which cost more than the rest of a request's bookkeeping; here a series is found by
 * its label values joined into one key, and its labels are built and checked once, when it is new.
 * The registry (default metrics, content type) stays prom-client's.
 */

/** Label values in the order of the metric's label names; an undefined value leaves its label out. */
export type LabelValues = readonly (string | undefined)[];

interface Series<Value> {
  /** `name="value",...`, escaped as prom-client escapes it. */
  readonly labels: string;
  value: Value;
}

abstract class CountedMetric<Value> {
  private readonly series = new Map<string, Series<Value>>();

  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly labelNames: readonly string[],
  ) {}

  protected seriesOf(values: LabelValues): Series<Value> {
    const key = values.join('\u0000');
    let series = this.series.get(key);
    if (!series) {
      const labels = this.labelNames
        .map((name, index) => (values[index] === undefined ? '' : `${name}="${escapeLabelValue(values[index])}"`))
        .filter(Boolean)
        .join(',');
      series = { labels, value: this.initialValue() };
      this.series.set(key, series);
    }
    return series;
  }

  protected abstract initialValue(): Value;
  protected abstract type: string;
  protected abstract lines(series: Series<Value>): string[];

  /** The metric's block in the text format: HELP, TYPE, then its series in the order they first appeared. */
  render(): string {
    const lines = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`];
    for (const series of this.series.values()) lines.push(...this.lines(series));
    return lines.join('\n');
  }
}

export class CountedCounter extends CountedMetric<number> {
  protected readonly type = 'counter';

  inc(values: LabelValues): void {
    this.seriesOf(values).value += 1;
  }

  protected initialValue(): number {
    return 0;
  }

  protected lines(series: Series<number>): string[] {
    return [`${this.name}${braced(series.labels)} ${formatValue(series.value)}`];
  }
}

interface HistogramValue {
  /** Observations per bucket, not yet cumulative; the last counts those above every bound. */
  readonly buckets: number[];
  sum: number;
  count: number;
}

export class CountedHistogram extends CountedMetric<HistogramValue> {
  protected readonly type = 'histogram';

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    private readonly bounds: readonly number[],
  ) {
    super(name, help, labelNames);
  }

  observe(values: LabelValues, observed: number): void {
    const value = this.seriesOf(values).value;
    let bucket = 0;
    while (bucket < this.bounds.length && observed > this.bounds[bucket]) bucket++;
    value.buckets[bucket] += 1;
    value.sum += observed;
    value.count += 1;
  }

  protected initialValue(): HistogramValue {
    return { buckets: new Array<number>(this.bounds.length + 1).fill(0), sum: 0, count: 0 };
  }

  protected lines({ labels, value }: Series<HistogramValue>): string[] {
    const shared = labels ? `,${labels}` : '';
    let cumulative = 0;
    const lines = this.bounds.map((bound, index) => {
      cumulative += value.buckets[index];
      return `${this.name}_bucket{le="${bound}"${shared}} ${formatValue(cumulative)}`;
    });
    lines.push(
      `${this.name}_bucket{le="+Inf"${shared}} ${formatValue(value.count)}`,
      `${this.name}_sum${braced(labels)} ${formatValue(value.sum)}`,
      `${this.name}_count${braced(labels)} ${formatValue(value.count)}`,
    );
    return lines;
  }
}

const braced = (labels: string): string => (labels ? `{${labels}}` : '');

const escapeHelp = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

const escapeLabelValue = (value: string): string => escapeHelp(value).replace(/"/g, '\\"');

/** As prom-client writes values: `Nan`, `+Inf` and `-Inf` spelled its way. */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'Nan';
  if (!Number.isFinite(value)) return value < 0 ? '-Inf' : '+Inf';
  return `${value}`;
}
