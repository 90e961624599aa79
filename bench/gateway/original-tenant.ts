/**
 * @module The original gateway's rule for the workflow-definition list, re-stated from
 * reference/conductor-gateway.md §b.3-b.4 (written here, not copied): keep a definition only if
 * it is `T___…` and every task, recursively, is `T___…` or `GLOBAL___…`; strip the tenant prefix
 * from the definition, its tasks, sub-workflow references, DYNAMIC_FORK expectedName and the
 * failure workflow; non-admins then see only definitions labelled for their groups or roles.
 */

type Json = Record<string, unknown>

const SEPARATOR = '___'
const GLOBAL = `GLOBAL${SEPARATOR}`

/** Every task of a definition, descending through DECISION cases, FORK branches and DO_WHILE loops. */
function eachTask(tasks: unknown, visit: (task: Json) => void): void {
  if (!Array.isArray(tasks)) return
  for (const task of tasks as Json[]) {
    visit(task)
    const cases = task.decisionCases as Record<string, unknown> | undefined
    if (cases) for (const branch of Object.values(cases)) eachTask(branch, visit)
    eachTask(task.defaultCase, visit)
    if (Array.isArray(task.forkTasks)) for (const branch of task.forkTasks) eachTask(branch, visit)
    eachTask(task.loopOver, visit)
  }
}

function tenantOwnsAll(def: Json, own: string): boolean {
  if (typeof def.name !== 'string' || !def.name.startsWith(own)) return false
  let ok = true
  eachTask(def.tasks, (task) => {
    const name = String(task.name ?? '')
    if (!name.startsWith(own) && !name.startsWith(GLOBAL)) ok = false
    const sub = task.subWorkflowParam as Json | undefined
    if (sub && !String(sub.name ?? '').startsWith(own)) ok = false
  })
  return ok
}

function stripAll(def: Json, own: string): Json {
  const strip = (value: unknown) =>
    typeof value === 'string' && value.startsWith(own) ? value.slice(own.length) : value
  eachTask(def.tasks, (task) => {
    task.name = strip(task.name)
    const sub = task.subWorkflowParam as Json | undefined
    if (sub) sub.name = strip(sub.name)
    const input = task.inputParameters as Json | undefined
    if (task.name === 'DYNAMIC_FORK' && input && typeof input.expectedName === 'string') {
      input.expectedName = strip(input.expectedName)
    }
  })
  if (def.failureWorkflow) def.failureWorkflow = strip(def.failureWorkflow)
  def.name = strip(def.name)
  return def
}

/** Labels from the description: a JSON `labels` array, or the comma list after " - ". */
function labels(description: unknown): string[] {
  if (typeof description !== 'string') return []
  try {
    const parsed = JSON.parse(description) as Json
    return Array.isArray(parsed.labels) ? parsed.labels.map(String) : []
  } catch {
    if (!/-(,|) [A-Z]/.test(description)) return []
    return description
      .slice(description.indexOf('-') + 1)
      .replace(/\s/g, '')
      .split(',')
  }
}

export interface Caller {
  tenant: string
  isAdmin: boolean
  groups: string[]
  roles: string[]
}

/** The list the original answered for this caller. */
export function tenantDefinitions(defs: Json[], caller: Caller): Json[] {
  const own = `${caller.tenant}${SEPARATOR}`
  const kept = defs.filter((def) => tenantOwnsAll(def, own)).map((def) => stripAll(def, own))
  if (caller.isAdmin) return kept
  const mine = new Set([...caller.groups, ...caller.roles].map((g) => g.replace(/\s/g, '').toLowerCase()))
  return kept.filter((def) => labels(def.description).some((label) => mine.has(label.toLowerCase())))
}
