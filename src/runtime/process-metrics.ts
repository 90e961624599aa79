/** @module Process metrics (memory, CPU, event-loop delay) for Node-compatible runtimes. */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { GaugeSample, MetricsRegistry } from '../ops/prometheus.ts'

/** Adds process_* and nodejs_* samples, read at each scrape. */
export function registerProcessMetrics(registry: MetricsRegistry): void {
  const startSeconds = Math.round(Date.now() / 1000 - process.uptime())
  let delay: ReturnType<typeof monitorEventLoopDelay> | undefined
  try {
    delay = monitorEventLoopDelay({ resolution: 20 })
    delay.enable()
  } catch {
    delay = undefined
  }
  registry.collect((): GaugeSample[] => {
    const memory = process.memoryUsage()
    const cpu = process.cpuUsage()
    const samples: GaugeSample[] = [
      { name: 'process_resident_memory_bytes', help: 'Resident memory size in bytes.', value: memory.rss },
      {
        name: 'process_cpu_user_seconds_total',
        help: 'User CPU time spent in seconds.',
        type: 'counter',
        value: cpu.user / 1e6,
      },
      {
        name: 'process_cpu_system_seconds_total',
        help: 'System CPU time spent in seconds.',
        type: 'counter',
        value: cpu.system / 1e6,
      },
      {
        name: 'process_start_time_seconds',
        help: 'Start time of the process since the Unix epoch in seconds.',
        value: startSeconds,
      },
      { name: 'nodejs_heap_used_bytes', help: 'JavaScript heap in use in bytes.', value: memory.heapUsed },
      {
        name: 'nodejs_heap_total_bytes',
        help: 'JavaScript heap allocated in bytes.',
        value: memory.heapTotal,
      },
    ]
    if (delay && delay.count > 0) {
      samples.push({
        name: 'nodejs_eventloop_delay_p99_seconds',
        help: '99th percentile of event-loop delay since the last scrape, in seconds.',
        value: delay.percentile(99) / 1e9,
      })
      delay.reset()
    }
    return samples
  })
}
