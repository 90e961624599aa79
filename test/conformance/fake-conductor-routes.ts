/**
 * @module The REST surface of the fake Conductor (reference/conductor-gateway.md §5): the routes
 * the gateway calls, answered from the fake's in-memory state the way Conductor 3.x answers.
 */
import type { FakeConductor, Json, RecordedRequest } from './fake-conductor.ts'

const JSON_TYPE = { 'content-type': 'application/json' }

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: JSON_TYPE })
}

function text(body: string, status = 200): Response {
  return new Response(body, { status, headers: { 'content-type': 'text/plain' } })
}

/** Conductor's error shape (ApplicationExceptionMapper). */
function problem(status: number, message: string): Response {
  return json({ status, message, instance: 'fake-conductor', retryable: false }, status)
}

function isJson(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function latest(versions: Map<number, Json> | undefined): Json | undefined {
  if (!versions || versions.size === 0) return undefined
  return versions.get(Math.max(...versions.keys()))
}

/** The search conditions of both index back-ends that the gateway emits: `f IN (a,b)`, `f = v`. */
function matches(execution: Json, query: string): boolean {
  if (query.trim() === '') return true
  return query.split(' AND ').every((part) => {
    const match = /^(\w+)\s*(=|IN)\s*\(?([^()]*)\)?$/.exec(part.trim())
    if (!match) return true
    const [, field = '', , values = ''] = match
    const wanted = values.split(',').map((value) => value.trim())
    const actual = field === 'workflowType' ? execution.workflowName : execution[field]
    return wanted.includes(String(actual))
  })
}

function summary(execution: Json): Json {
  return {
    workflowType: execution.workflowName,
    version: execution.workflowVersion,
    workflowId: execution.workflowId,
    correlationId: execution.correlationId,
    status: execution.status,
    startTime: execution.startTime,
    createdBy: execution.createdBy,
  }
}

export function routeConductor(fake: FakeConductor, request: RecordedRequest): Response {
  const { method, path, query, body } = request
  const parts = path.split('/').filter((part) => part !== '')
  if (parts[0] !== 'api') return problem(404, `No static resource ${path}.`)
  const [, area, a, b, c] = parts

  if (area === 'metadata' && a === 'workflow') {
    if (method === 'GET' && b === undefined) {
      return json([...fake.defs.values()].map(latest).filter((def) => def !== undefined))
    }
    if (method === 'GET' && b === 'names-and-versions') {
      return json(
        Object.fromEntries(
          [...fake.defs].map(([name, versions]) => [
            name,
            [...versions.keys()].map((version) => ({ name, version, createTime: 1 })),
          ])
        )
      )
    }
    if (method === 'GET' && b !== undefined) {
      const versions = fake.defs.get(b)
      const version = query.get('version')
      const def = version === null ? latest(versions) : versions?.get(Number(version))
      return def
        ? json(def)
        : problem(404, `No such workflow found by name: ${b}, version: ${version ?? 'null'}`)
    }
    if (method === 'POST') {
      if (!isJson(body)) return problem(400, 'Invalid workflow definition')
      if (fake.defs.get(String(body.name))?.has(Number(body.version ?? 1))) {
        return problem(409, `Workflow with ${String(body.name)}.${String(body.version ?? 1)} already exists!`)
      }
      fake.addDef(body)
      return new Response(null, { status: 200 })
    }
    if (method === 'PUT') {
      const defs = Array.isArray(body) ? body.filter(isJson) : []
      for (const def of defs) fake.addDef(def)
      return json({ bulkSuccessfulResults: defs.map((def) => def.name), bulkErrorResults: {} })
    }
    if (method === 'DELETE' && b !== undefined && c !== undefined) {
      if (!fake.defs.get(b)?.delete(Number(c))) {
        return problem(404, `No such workflow definition: ${b} version: ${c}`)
      }
      return new Response(null, { status: 200 })
    }
  }

  if (area === 'metadata' && a === 'taskdefs') {
    if (method === 'GET' && b === undefined) return json([...fake.taskDefs.values()])
    if (method === 'GET' && b !== undefined) {
      const def = fake.taskDefs.get(b)
      return def ? json(def) : problem(404, `No such taskType found by name: ${b}`)
    }
    if (method === 'POST' && Array.isArray(body)) {
      for (const def of body.filter(isJson)) fake.taskDefs.set(String(def.name), def)
      return new Response(null, { status: 200 })
    }
    if (method === 'PUT' && isJson(body)) {
      if (!fake.taskDefs.has(String(body.name))) {
        return problem(404, `No such task by name ${String(body.name)}`)
      }
      fake.taskDefs.set(String(body.name), body)
      return new Response(null, { status: 200 })
    }
    if (method === 'DELETE' && b !== undefined) {
      if (!fake.taskDefs.delete(b)) return problem(404, 'Cannot remove the task - no such task definition')
      return new Response(null, { status: 200 })
    }
  }

  if (area === 'workflow') {
    if (method === 'POST' && a === undefined && isJson(body)) {
      const name = String(body.name)
      const version = body.version === undefined ? undefined : Number(body.version)
      const versions = fake.defs.get(name)
      const def = version === undefined ? latest(versions) : versions?.get(version)
      if (!def) {
        return problem(404, `No such workflow defined. name=${name}, version=${String(version ?? null)}`)
      }
      const started = fake.addExecution({
        workflowName: name,
        workflowVersion: def.version,
        correlationId: body.correlationId,
        createdBy: body.createdBy,
        taskToDomain: body.taskToDomain,
        input: body.input ?? {},
        workflowDefinition: def,
      })
      return text(String(started.workflowId))
    }
    if (method === 'GET' && a === 'search') {
      const hits = [...fake.executions.values()].filter((execution) =>
        matches(execution, query.get('query') ?? '')
      )
      return json({ totalHits: hits.length, results: hits.map(summary) })
    }
    if (a === 'bulk' && b !== undefined) {
      const ids = Array.isArray(body) ? body.map(String) : []
      const status: Record<string, string> = {
        pause: 'PAUSED',
        resume: 'RUNNING',
        terminate: 'TERMINATED',
        retry: 'RUNNING',
        restart: 'RUNNING',
      }
      const done: string[] = []
      const failed: Record<string, string> = {}
      for (const workflowId of ids) {
        const execution = fake.executions.get(workflowId)
        if (!execution) failed[workflowId] = `No such workflow found by id: ${workflowId}`
        else {
          execution.status = status[b] ?? execution.status
          done.push(workflowId)
        }
      }
      return json({ bulkSuccessfulResults: done, bulkErrorResults: failed })
    }
    const single: Record<string, string> = {
      'PUT pause': 'PAUSED',
      'PUT resume': 'RUNNING',
      'POST restart': 'RUNNING',
      'POST retry': 'RUNNING',
      'DELETE ': 'TERMINATED',
    }
    const state = a === undefined ? undefined : single[`${method} ${b ?? ''}`]
    if (a !== undefined && state !== undefined && c === undefined) {
      const execution = fake.executions.get(a)
      if (!execution) return problem(404, `No such workflow found by id: ${a}`)
      execution.status = state
      return new Response(null, { status: method === 'DELETE' ? 200 : 204 })
    }
    if (method === 'GET' && a !== undefined && b === undefined) {
      const execution = fake.executions.get(a)
      if (!execution) return problem(404, `No such workflow found by id: ${a}`)
      return json(query.get('includeTasks') === 'false' ? { ...execution, tasks: [] } : execution)
    }
    if (method === 'DELETE' && a !== undefined && b === 'remove') {
      if (!fake.executions.delete(a)) return problem(404, `No such workflow found by id: ${a}`)
      return new Response(null, { status: 200 })
    }
  }

  if (area === 'tasks') {
    if (method === 'GET' && a === 'poll') {
      const batch = b === 'batch'
      const type = batch ? c : b
      const domain = query.get('domain')
      const queue = fake.queues.get(domain ? `${domain}:${type}` : String(type)) ?? []
      const count = batch ? Number(query.get('count') ?? '1') : 1
      const polled = queue.splice(0, count)
      if (batch) return json(polled)
      return polled[0] ? json(polled[0]) : new Response(null, { status: 204 })
    }
    if (method === 'GET' && a === 'queue' && b === 'all') {
      return json(Object.fromEntries([...fake.queues].map(([name, waiting]) => [name, waiting.length])))
    }
    if (method === 'POST' && a !== undefined && b === 'log') {
      const task = fake.tasks.get(a)
      if (!task) return problem(404, `No such task: ${a}`)
      task.logs = [...(Array.isArray(task.logs) ? task.logs : []), body]
      return new Response(null, { status: 200 })
    }
    if (method === 'POST' && a === 'update-v2' && isJson(body)) {
      const task = fake.tasks.get(String(body.taskId))
      if (!task) return problem(404, `No such task found by id: ${String(body.taskId)}`)
      Object.assign(task, { status: body.status, outputData: body.outputData })
      return new Response(null, { status: 204 })
    }
    if (method === 'GET' && a !== undefined && b === 'log') {
      return fake.tasks.has(a)
        ? json([{ log: `log of ${a}`, taskId: a, createdTime: 1 }])
        : problem(404, `No such task: ${a}`)
    }
    if (method === 'GET' && a !== undefined && b === undefined) {
      const task = fake.tasks.get(a)
      return task ? json(task) : problem(404, `No such task found by id: ${a}`)
    }
    if (method === 'POST' && a === undefined && isJson(body)) {
      const task = fake.tasks.get(String(body.taskId))
      if (!task) return problem(404, `No such task found by id: ${String(body.taskId)}`)
      Object.assign(task, { status: body.status, outputData: body.outputData })
      return text(String(body.taskId))
    }
  }

  if (area === 'event') {
    if (method === 'GET' && a === undefined) return json([...fake.events.values()])
    if ((method === 'POST' || method === 'PUT') && isJson(body)) {
      const exists = fake.events.has(String(body.name))
      if (method === 'POST' && exists) {
        return problem(409, `EventHandler with name ${String(body.name)} already exists!`)
      }
      if (method === 'PUT' && !exists)
        return problem(404, `EventHandler with name ${String(body.name)} not found!`)
      fake.events.set(String(body.name), body)
      return new Response(null, { status: 200 })
    }
    if (method === 'DELETE' && a !== undefined) {
      if (!fake.events.delete(a)) return problem(404, `EventHandler with name ${a} not found!`)
      return new Response(null, { status: 200 })
    }
  }
  return problem(404, `No static resource ${path}.`)
}
