/**
 * @module Prometheus text exposition (format 0.0.4) for counters, histograms and gauges.
 * https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 */

export type Labels = Record<string, string>

interface Metric {
  render(): string
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
}

function formatLabels(labels: Labels, extra?: [string, string]): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`)
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`)
  return parts.length === 0 ? '' : `{${parts.join(',')}}`
}

function formatNumber(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf'
  if (value === Number.NEGATIVE_INFINITY) return '-Inf'
  return Number.isNaN(value) ? 'NaN' : String(value)
}

function header(name: string, help: string, type: string): string {
  return `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${type}\n`
}

/** Keys of frozen label sets (they cannot change), so callers that reuse one pay once. */
const frozenKeys = new WeakMap<Labels, string>()

/** One key per label set whatever the order of its names; length prefixes keep it unambiguous. */
function keyOf(labels: Labels): string {
  const known = frozenKeys.get(labels)
  if (known !== undefined) return known
  const key = labelKey(labels)
  if (Object.isFrozen(labels)) frozenKeys.set(labels, key)
  return key
}

function labelKey(labels: Labels): string {
  let key = ''
  for (const name of Object.keys(labels).sort()) {
    const value = labels[name] ?? ''
    key += `${name.length}:${name}${value.length}:${value}`
  }
  return key
}

/** A monotonically increasing count per label set. */
export class Counter implements Metric {
  readonly #values = new Map<string, { labels: Labels; value: number }>()
  readonly name: string
  readonly help: string
  constructor(name: string, help: string) {
    this.name = name
    this.help = help
  }

  inc(labels: Labels = {}, by = 1): void {
    const key = keyOf(labels)
    const entry = this.#values.get(key)
    if (entry) entry.value += by
    else this.#values.set(key, { labels, value: by })
  }

  get(labels: Labels = {}): number {
    return this.#values.get(keyOf(labels))?.value ?? 0
  }

  render(): string {
    let out = header(this.name, this.help, 'counter')
    for (const { labels, value } of this.#values.values()) {
      out += `${this.name}${formatLabels(labels)} ${formatNumber(value)}\n`
    }
    return out
  }
}

/** Observations in cumulative buckets, with sum and count, per label set. */
export class Histogram implements Metric {
  readonly #series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>()
  readonly buckets: readonly number[]
  readonly name: string
  readonly help: string
  constructor(name: string, help: string, buckets: readonly number[]) {
    this.name = name
    this.help = help
    this.buckets = [...buckets].sort((a, b) => a - b)
  }

  observe(labels: Labels, value: number): void {
    const key = keyOf(labels)
    let series = this.#series.get(key)
    if (!series) {
      series = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 }
      this.#series.set(key, series)
    }
    for (let i = 0; i < this.buckets.length; i++) {
      if (value <= (this.buckets[i] ?? 0)) series.counts[i] = (series.counts[i] ?? 0) + 1
    }
    series.sum += value
    series.count += 1
  }

  render(): string {
    let out = header(this.name, this.help, 'histogram')
    for (const { labels, counts, sum, count } of this.#series.values()) {
      this.buckets.forEach((bound, i) => {
        out += `${this.name}_bucket${formatLabels(labels, ['le', formatNumber(bound)])} ${counts[i] ?? 0}\n`
      })
      out += `${this.name}_bucket${formatLabels(labels, ['le', '+Inf'])} ${count}\n`
      out += `${this.name}_sum${formatLabels(labels)} ${formatNumber(sum)}\n`
      out += `${this.name}_count${formatLabels(labels)} ${count}\n`
    }
    return out
  }
}

/** A value read when scraped (process memory, open connections). */
export interface GaugeSample {
  name: string
  help: string
  type?: 'gauge' | 'counter'
  value: number
  labels?: Labels
}

/** The metrics of one app; `render()` is the /metrics body. */
export class MetricsRegistry {
  readonly #metrics: Metric[] = []
  readonly #collectors: Array<() => GaugeSample[]> = []

  counter(name: string, help: string): Counter {
    const metric = new Counter(name, help)
    this.#metrics.push(metric)
    return metric
  }

  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    const metric = new Histogram(name, help, buckets)
    this.#metrics.push(metric)
    return metric
  }

  /** Registers samples computed at scrape time. */
  collect(collector: () => GaugeSample[]): void {
    this.#collectors.push(collector)
  }

  render(): string {
    let out = this.#metrics.map((metric) => metric.render()).join('')
    // One HELP/TYPE per name, its samples grouped under it, as the exposition format requires.
    const families = new Map<string, GaugeSample[]>()
    for (const collector of this.#collectors) {
      for (const sample of collector()) {
        const family = families.get(sample.name)
        if (family) family.push(sample)
        else families.set(sample.name, [sample])
      }
    }
    for (const [name, samples] of families) {
      const first = samples[0]
      if (first) out += header(name, first.help, first.type ?? 'gauge')
      for (const sample of samples) {
        out += `${name}${formatLabels(sample.labels ?? {})} ${formatNumber(sample.value)}\n`
      }
    }
    return out
  }
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'
