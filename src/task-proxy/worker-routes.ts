/**
 * @module The calls the task proxy passes to Conductor when `task_proxy.pass_through = "worker"`:
 * only those the official workers make (conductor-oss java-sdk TaskRunner/TaskClient, python-sdk
 * TaskRunner, javascript-sdk TaskRunner), matched on the path exactly as it is forwarded, so that no
 * spelling (`%2F`, `..`, `//`, `;`, a trailing `/`, another case) can reach anything else.
 */

/** What the task proxy passes through: the worker calls only, or the whole Conductor API. */
export type PassThroughMode = 'worker' | 'all'

/** A literal path segment, or `*` for one parameter segment (a task type or a task id). */
type Pattern = readonly string[]

interface WorkerRoute {
  methods: ReadonlySet<string>
  pattern: Pattern
}

const GET = new Set(['GET', 'HEAD'])
const POST = new Set(['POST'])

/** The worker calls; the reason for each is in docs/GATEWAY.md (task proxy). */
export const WORKER_ROUTES: readonly WorkerRoute[] = [
  // Polls: answered by the task proxy's fan-out over the tenants' domains.
  { methods: GET, pattern: ['api', 'tasks', 'poll', '*'] },
  { methods: GET, pattern: ['api', 'tasks', 'poll', 'batch', '*'] },
  // A task's result and lease extension (TaskClient.updateTask, every SDK).
  { methods: POST, pattern: ['api', 'tasks'] },
  // The result, answered with the next task of the same queue (python-sdk, javascript-sdk, java-sdk).
  { methods: POST, pattern: ['api', 'tasks', 'update-v2'] },
  // A log line for a task the worker holds (TaskClient.logMessageForTask).
  { methods: POST, pattern: ['api', 'tasks', '*', 'log'] },
  // The acknowledgement of a polled task by 2.x clients.
  { methods: POST, pattern: ['api', 'tasks', '*', 'ack'] },
  // Where a large task input or output is kept (external payload storage of the Java client).
  { methods: GET, pattern: ['api', 'tasks', 'externalstoragelocation'] },
]

/** A path segment as sent: RFC 3986 pchar without `;` (which servlet containers cut off as a parameter). */
const RAW_SEGMENT = /^(?:[A-Za-z0-9\-._~!$&'()*+,=:@]|%[0-9A-Fa-f]{2})+$/
/** What a parameter may not decode to contain: separators. */
const UNSAFE_DECODED = /[/\\;]/

/** A control character (C0 or DEL), which no task type or task id holds. */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x20 || code === 0x7f) return true
  }
  return false
}

/** Whether a parameter segment as sent stays one plain segment once the engine decodes it. */
function plainParameter(raw: string): boolean {
  let decoded: string
  try {
    decoded = decodeURIComponent(raw)
  } catch {
    return false
  }
  return decoded !== '.' && decoded !== '..' && !UNSAFE_DECODED.test(decoded) && !hasControl(decoded)
}

function matches(pattern: Pattern, segments: readonly string[]): boolean {
  if (pattern.length !== segments.length) return false
  return pattern.every((expected, i) => {
    const segment = segments[i] ?? ''
    return expected === '*' ? plainParameter(segment) : segment === expected
  })
}

/**
 * Whether a worker may make this call: `path` is the path as sent and forwarded (no query),
 * literal segments compared as sent (case and encoding included), parameters decoded once.
 */
export function workerCall(method: string, path: string): boolean {
  if (!path.startsWith('/')) return false
  const segments = path.slice(1).split('/')
  if (!segments.every((segment) => RAW_SEGMENT.test(segment))) return false
  return WORKER_ROUTES.some((route) => route.methods.has(method) && matches(route.pattern, segments))
}

/** Whether the task proxy passes this call on in `mode`. */
export function passedInMode(mode: PassThroughMode, method: string, path: string): boolean {
  return mode === 'all' || workerCall(method, path)
}
