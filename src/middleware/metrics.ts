/** @module Request count and latency histogram by method, route pattern and status. */
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../env.ts'
import type { Labels, MetricsRegistry } from '../ops/prometheus.ts'
import { routeLabel } from './route-label.ts'

export interface MetricsOptions {
  registry: MetricsRegistry
  /** Histogram bounds in seconds. */
  buckets?: readonly number[]
  /** Records into these metrics instead of registering its own (one recorder per registry). */
  recorder?: RequestRecorder
}

/** Counts one answered request and observes its duration. */
export type RequestRecorder = (method: string, route: string, status: number, seconds: number) => void

const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

/** Method label values outside this set collapse to "other" (clients choose methods freely). */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

/** Registers the request counter and latency histogram in `registry` and records into them. */
export function requestRecorder(
  registry: MetricsRegistry,
  buckets: readonly number[] = DEFAULT_BUCKETS
): RequestRecorder {
  const requests = registry.counter('flowgate_http_requests_total', 'HTTP requests answered.')
  const duration = registry.histogram(
    'flowgate_http_request_duration_seconds',
    'Time to answer an HTTP request (until the response headers).',
    buckets
  )
  // One frozen label set per method, route pattern and status (a bounded number): the registry
  // then keys each set once instead of on every request.
  const labelSets = new Map<string, Labels>()
  return (rawMethod, route, rawStatus, seconds) => {
    const method = KNOWN_METHODS.has(rawMethod) ? rawMethod : 'other'
    const status = String(rawStatus)
    const id = `${method}\u0000${route}\u0000${status}`
    let labels = labelSets.get(id)
    if (labels === undefined) {
      labels = Object.freeze({ method, route, status })
      labelSets.set(id, labels)
    }
    requests.inc(labels)
    duration.observe(labels, seconds)
  }
}

export const metrics = (options: MetricsOptions): MiddlewareHandler<AppEnv> => {
  const record = options.recorder ?? requestRecorder(options.registry, options.buckets)
  return async function metrics(c, next) {
    const started = performance.now()
    await next()
    record(c.req.method, routeLabel(c), c.res.status, (performance.now() - started) / 1000)
  }
}
