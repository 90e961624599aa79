/**
 * @module Tenant rules for workflow executions and tasks as Conductor returns them: visible only
 * when they are the tenant's (and, for non-admins, the caller's own); returned de-prefixed.
 */
import type { Principal } from '../identity/principal.ts'
import { owns, strip } from './naming.ts'
import { stripDef } from './workflow-def.ts'
import { isObject, type JsonObject } from './workflow-tasks.ts'

/** Whether the principal may see an execution (Workflow or WorkflowSummary). */
export function executionVisibleTo(principal: Principal, execution: unknown): execution is JsonObject {
  if (!isObject(execution)) return false
  const name = execution.workflowName ?? execution.workflowType
  if (!owns(principal.tenant, name)) return false
  return principal.isAdmin || execution.correlationId === principal.user
}

function stripKey(object: JsonObject, key: string, tenant: string, allowGlobal = true): void {
  const stripped = strip(tenant, object[key], allowGlobal)
  if (stripped !== undefined) object[key] = stripped
}

function stripWorkflowTask(value: unknown, tenant: string): unknown {
  if (!isObject(value)) return value
  const task: JsonObject = { ...value }
  stripKey(task, 'name', tenant)
  if (isObject(task.taskDefinition)) {
    task.taskDefinition = { ...task.taskDefinition }
    stripKey(task.taskDefinition as JsonObject, 'name', tenant)
  }
  if (isObject(task.subWorkflowParam)) {
    task.subWorkflowParam = { ...task.subWorkflowParam }
    stripKey(task.subWorkflowParam as JsonObject, 'name', tenant, false)
  }
  return task
}

/** One task of an execution (also a polled task) without the tenant prefixes. */
export function stripTask(value: unknown, tenant: string): unknown {
  if (!isObject(value)) return value
  const task: JsonObject = { ...value }
  for (const key of ['taskDefName', 'taskType', 'workflowType']) stripKey(task, key, tenant)
  task.workflowTask = stripWorkflowTask(task.workflowTask, tenant)
  // Conductor 3.x also embeds the task definition in each task of an execution.
  if (isObject(task.taskDefinition)) {
    task.taskDefinition = { ...task.taskDefinition }
    stripKey(task.taskDefinition as JsonObject, 'name', tenant)
  }
  if (isObject(task.inputData) && typeof task.inputData.subWorkflowName === 'string') {
    task.inputData = { ...task.inputData }
    stripKey(task.inputData as JsonObject, 'subWorkflowName', tenant, false)
  }
  if (isObject(task.outputData) && typeof task.outputData.workflowType === 'string') {
    task.outputData = { ...task.outputData }
    stripKey(task.outputData as JsonObject, 'workflowType', tenant, false)
  }
  return task
}

/** An execution (Workflow or WorkflowSummary) without the tenant prefixes. */
export function stripExecution(execution: JsonObject, tenant: string): JsonObject {
  const out: JsonObject = { ...execution }
  stripKey(out, 'workflowName', tenant, false)
  stripKey(out, 'workflowType', tenant, false)
  if (isObject(out.output) && typeof out.output.workflowType === 'string') {
    out.output = { ...out.output }
    stripKey(out.output as JsonObject, 'workflowType', tenant, false)
  }
  if (Array.isArray(out.tasks)) out.tasks = out.tasks.map((task) => stripTask(task, tenant))
  if (isObject(out.workflowDefinition)) {
    out.workflowDefinition = stripDef(out.workflowDefinition, tenant) ?? {
      name: strip(tenant, out.workflowDefinition.name),
    }
  }
  return out
}
