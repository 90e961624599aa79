import { describe, expect, it } from 'vitest'
import { Counter, Histogram, MetricsRegistry, PROMETHEUS_CONTENT_TYPE } from '../../../src/ops/prometheus.ts'

/** Lines of an exposition that are samples, not comments. */
function samples(text: string): string[] {
  return text.split('\n').filter((line) => line !== '' && !line.startsWith('#'))
}

/** The rules a scraper enforces: one TYPE line per name, and every sample right under its own. */
function checkExposition(text: string): void {
  const declared = [...text.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1])
  expect(new Set(declared).size).toBe(declared.length)
  let current: string | undefined
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) /.exec(line)
    if (type) current = type[1]
    if (line === '' || line.startsWith('#')) continue
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0] ?? ''
    const family = name === current ? name : name.replace(/_(bucket|sum|count)$/, '')
    expect(family, `${line} is under its TYPE line`).toBe(current)
  }
}

describe('Counter', () => {
  it('renders HELP, TYPE and one line per label set', () => {
    const counter = new Counter('jobs_total', 'Jobs done.')
    counter.inc({ queue: 'a' })
    counter.inc({ queue: 'a' })
    counter.inc({ queue: 'b' }, 5)
    expect(counter.render()).toBe(
      '# HELP jobs_total Jobs done.\n# TYPE jobs_total counter\njobs_total{queue="a"} 2\njobs_total{queue="b"} 5\n'
    )
  })

  it('renders an unlabelled series without braces', () => {
    const counter = new Counter('ticks_total', 'Ticks.')
    counter.inc()
    expect(samples(counter.render())).toEqual(['ticks_total 1'])
  })

  it('treats the same labels in another order as the same series', () => {
    const counter = new Counter('x_total', 'X.')
    counter.inc({ a: '1', b: '2' })
    counter.inc({ b: '2', a: '1' })
    expect(counter.get({ b: '2', a: '1' })).toBe(2)
    expect(samples(counter.render())).toHaveLength(1)
  })

  it('reads 0 for a label set never counted', () => {
    expect(new Counter('x_total', 'X.').get({ a: '1' })).toBe(0)
  })

  it('renders only its header before the first count', () => {
    expect(samples(new Counter('x_total', 'X.').render())).toEqual([])
  })

  it.each([
    ['a backslash', 'C:\\temp', 'C:\\\\temp'],
    ['a double quote', 'say "hi"', 'say \\"hi\\"'],
    ['a newline', 'two\nlines', 'two\\nlines'],
    ['all of them', '\\"\n', '\\\\\\"\\n'],
    ['nothing special', '/api/:id{[0-9]+}', '/api/:id{[0-9]+}'],
  ])('escapes %s in a label value', (_what, value, escaped) => {
    const counter = new Counter('x_total', 'X.')
    counter.inc({ route: value })
    expect(samples(counter.render())).toEqual([`x_total{route="${escaped}"} 1`])
  })

  it('escapes a backslash and a newline in HELP text', () => {
    const counter = new Counter('x_total', 'a\\b\nc')
    expect(counter.render().split('\n')[0]).toBe('# HELP x_total a\\\\b\\nc')
  })
})

describe('Histogram', () => {
  it('counts observations in cumulative buckets with sum and count', () => {
    const histogram = new Histogram('d_seconds', 'Durations.', [0.1, 0.5, 1])
    for (const value of [0.0625, 0.25, 2]) histogram.observe({}, value)
    expect(samples(histogram.render())).toEqual([
      'd_seconds_bucket{le="0.1"} 1',
      'd_seconds_bucket{le="0.5"} 2',
      'd_seconds_bucket{le="1"} 2',
      'd_seconds_bucket{le="+Inf"} 3',
      'd_seconds_sum 2.3125',
      'd_seconds_count 3',
    ])
  })

  it('counts a value equal to a bound in that bucket', () => {
    const histogram = new Histogram('d', 'D.', [1])
    histogram.observe({}, 1)
    expect(samples(histogram.render())[0]).toBe('d_bucket{le="1"} 1')
  })

  it('sorts its buckets', () => {
    const histogram = new Histogram('d', 'D.', [5, 1, 2])
    expect(histogram.buckets).toEqual([1, 2, 5])
  })

  it('keeps a series per label set and puts le after the labels', () => {
    const histogram = new Histogram('d', 'D.', [1])
    histogram.observe({ route: '/a' }, 0.5)
    histogram.observe({ route: '/b' }, 3)
    expect(samples(histogram.render())).toEqual([
      'd_bucket{route="/a",le="1"} 1',
      'd_bucket{route="/a",le="+Inf"} 1',
      'd_sum{route="/a"} 0.5',
      'd_count{route="/a"} 1',
      'd_bucket{route="/b",le="1"} 0',
      'd_bucket{route="/b",le="+Inf"} 1',
      'd_sum{route="/b"} 3',
      'd_count{route="/b"} 1',
    ])
  })

  it('declares its type as histogram', () => {
    expect(new Histogram('d', 'D.', [1]).render()).toContain('# TYPE d histogram\n')
  })
})

describe('MetricsRegistry', () => {
  it('renders its metrics in registration order, then the collected samples', () => {
    const registry = new MetricsRegistry()
    registry.collect(() => [{ name: 'c_gauge', help: 'C.', value: 3 }])
    registry.counter('a_total', 'A.').inc()
    registry.histogram('b_seconds', 'B.', [1]).observe({}, 0.5)
    const text = registry.render()
    const order = ['a_total', 'b_seconds', 'c_gauge'].map((name) => text.indexOf(`# TYPE ${name}`))
    expect(order.every((at) => at >= 0)).toBe(true)
    expect([...order].sort((x, y) => x - y)).toEqual(order)
    checkExposition(text)
  })

  it('reads collected samples anew at every render', () => {
    const registry = new MetricsRegistry()
    let value = 1
    registry.collect(() => [{ name: 'g', help: 'G.', value: value++ }])
    expect(samples(registry.render())).toEqual(['g 1'])
    expect(samples(registry.render())).toEqual(['g 2'])
  })

  it('groups samples of one name under a single HELP and TYPE', () => {
    const registry = new MetricsRegistry()
    registry.collect(() => [
      { name: 'open_connections', help: 'Open.', value: 1, labels: { listener: 'api' } },
      { name: 'other', help: 'Other.', value: 0 },
    ])
    registry.collect(() => [
      { name: 'open_connections', help: 'Open.', value: 2, labels: { listener: 'tasks' } },
    ])
    const text = registry.render()
    expect(text.match(/# TYPE open_connections gauge/g)).toHaveLength(1)
    expect(samples(text)).toEqual([
      'open_connections{listener="api"} 1',
      'open_connections{listener="tasks"} 2',
      'other 0',
    ])
    checkExposition(text)
  })

  it('declares a collected counter as a counter', () => {
    const registry = new MetricsRegistry()
    registry.collect(() => [{ name: 'cpu_seconds_total', help: 'CPU.', type: 'counter', value: 1.5 }])
    expect(registry.render()).toContain('# TYPE cpu_seconds_total counter\n')
  })

  it.each([
    [Number.POSITIVE_INFINITY, '+Inf'],
    [Number.NEGATIVE_INFINITY, '-Inf'],
    [Number.NaN, 'NaN'],
    [0.25, '0.25'],
    [-3, '-3'],
  ])('writes the value %d as %s', (value, text) => {
    const registry = new MetricsRegistry()
    registry.collect(() => [{ name: 'g', help: 'G.', value }])
    expect(samples(registry.render())).toEqual([`g ${text}`])
  })

  it('escapes the label values of collected samples', () => {
    const registry = new MetricsRegistry()
    registry.collect(() => [{ name: 'g', help: 'G.', value: 1, labels: { path: 'a"b\\c\nd' } }])
    expect(samples(registry.render())).toEqual(['g{path="a\\"b\\\\c\\nd"} 1'])
  })

  it('renders nothing when empty', () => {
    expect(new MetricsRegistry().render()).toBe('')
  })
})

describe('PROMETHEUS_CONTENT_TYPE', () => {
  it('names text format 0.0.4 in UTF-8', () => {
    expect(PROMETHEUS_CONTENT_TYPE).toBe('text/plain; version=0.0.4; charset=utf-8')
  })
})

describe('label sets reused frozen', () => {
  it('count into the same series as equal plain label sets, in any key order', () => {
    const registry = new MetricsRegistry()
    const counter = registry.counter('frozen_total', 'Frozen label sets.')
    const frozen = Object.freeze({ method: 'GET', route: '/a', status: '200' })
    counter.inc(frozen)
    counter.inc(frozen)
    counter.inc({ status: '200', route: '/a', method: 'GET' })
    counter.inc({ method: 'GET', route: '/a', status: '500' })
    expect(counter.get({ route: '/a', method: 'GET', status: '200' })).toBe(3)
    expect(counter.get(frozen)).toBe(3)
    expect(counter.get({ method: 'GET', route: '/a', status: '500' })).toBe(1)
  })
})
