/** @module Settings of [worker]: the Camunda 7 script worker (CaPython's CAPYTHON_* names map here). */
import { z } from 'zod'
import { httpUrl, millis, setting, stringList } from '../setting.ts'

export const worker = z.strictObject({
  enabled: setting(z.boolean().default(false), {
    description: 'Run the Camunda 7 script worker inside `flowgate serve`.',
  }),
  base_url: setting(httpUrl().default('http://camunda:8080/engine-rest'), {
    description: 'Camunda engine-rest base URL.',
  }),
  topics: setting(stringList().default(['topic']), { description: 'Topics to fetch and lock.' }),
  topic_separator: setting(z.string().min(1).default(','), {
    description: 'Separator of CAPYTHON_TOPICS.',
  }),
  worker_id: setting(z.string().min(1).optional(), {
    description: 'workerId sent to Camunda (a random id per process when unset).',
  }),
  max_tasks: setting(z.number().int().min(1).default(1), {
    description: 'Tasks fetched per poll.',
  }),
  lock_duration_ms: setting(millis().default(10_000), { description: 'Lock duration per task.' }),
  async_response_timeout_ms: setting(millis().default(5_000), {
    description: 'Long-poll timeout of fetchAndLock.',
  }),
  retries: setting(z.number().int().min(0).default(3), {
    description: 'Retries before an incident.',
  }),
  retry_timeout_ms: setting(millis().default(5_000), { description: 'Delay before a retry.' }),
  sleep_seconds: setting(z.number().min(0).default(30), {
    description: 'Pause after an engine error.',
  }),
  script_variable: setting(z.string().min(1).default('capython'), {
    description: 'Process variable holding the script (CAPYTHON_SCRIPT_ENTRYPOINT).',
  }),
  requirements: setting(stringList().default([]), {
    description: 'Python requirement files installed before the worker starts.',
  }),
  requirements_separator: setting(z.string().min(1).default(','), {
    description: 'Separator of CAPYTHON_REQUIREMENTS.',
  }),
  compat: setting(z.boolean().default(false), {
    description: 'Reproduce CaPython quirks that existing scripts depend on.',
  }),
})
