/**
 * @module Tenant rules for workflow definitions (reference/conductor-gateway.md §b.4, with its
 * gaps fixed): every task name, sub-workflow reference, DYNAMIC_FORK expectedName and failure
 * workflow prefixed on the way in, system task types checked against an allow-list at every
 * depth, inline sub-workflow definitions and sub-workflow taskToDomain refused, tasks shaped by
 * run-time data pinned in the definition (run-time-tasks.ts); on the way out a
 * definition is visible only if everything it references is the tenant's (or shared), and is
 * returned with the prefixes removed.
 */
import { AppError } from '../errors.ts'
import { owns, prefix, strip } from './naming.ts'
import { confineRunTimeTask } from './run-time-tasks.ts'
import { isObject, type JsonObject, mapTasks, visitTasks } from './workflow-tasks.ts'

export interface DefRules {
  tenant: string
  /** System task types allowed besides SIMPLE (upper case). */
  allowedTypes: ReadonlySet<string>
}

function forbiddenField(where: string, message: string): AppError {
  return new AppError('FG_ERR_GATEWAY_FIELD_FORBIDDEN', { errors: [{ where, message }] })
}

/** Checks the type of every task, at every depth. */
export function checkTaskTypes(tasks: unknown, path: string, allowed: ReadonlySet<string>): void {
  visitTasks(tasks, path, (task, where) => {
    const type = task.type === undefined ? 'SIMPLE' : task.type
    if (typeof type !== 'string' || (type !== 'SIMPLE' && !allowed.has(type.toUpperCase()))) {
      throw new AppError('FG_ERR_GATEWAY_TASK_TYPE_FORBIDDEN', {
        errors: [
          { where: `${where}.type`, message: `task type ${JSON.stringify(type)} is not allowed here` },
        ],
      })
    }
  })
}

/** Prefixes the names inside one task (already type-checked). */
function tenantizeTask(task: JsonObject, where: string, rules: DefRules): JsonObject {
  const tenant = rules.tenant
  confineRunTimeTask(task, where, rules)
  task.name = prefix(tenant, task.name, `${where}.name`, true)
  if (isObject(task.subWorkflowParam)) {
    const param = { ...task.subWorkflowParam }
    if (param.taskToDomain !== undefined) {
      throw forbiddenField(`${where}.subWorkflowParam.taskToDomain`, 'sub-workflows run in the tenant domain')
    }
    if (param.workflowDefinition !== undefined || param.workflowDef !== undefined) {
      throw forbiddenField(
        `${where}.subWorkflowParam.workflowDefinition`,
        'inline sub-workflow definitions are not allowed'
      )
    }
    param.name = prefix(tenant, param.name, `${where}.subWorkflowParam.name`)
    task.subWorkflowParam = param
  }
  // DYNAMIC_FORK convention of the original: the expected sub-workflow name is prefixed too.
  if (task.name === `${tenant}___DYNAMIC_FORK` && isObject(task.inputParameters)) {
    const expected = task.inputParameters.expectedName
    if (typeof expected === 'string') {
      task.inputParameters = {
        ...task.inputParameters,
        expectedName: prefix(tenant, expected, `${where}.inputParameters.expectedName`, true),
      }
    }
  }
  return task
}

/** Task list as it goes to Conductor (also used for dynamic_tasks in task updates). */
export function tenantizeTasks(tasks: unknown, path: string, rules: DefRules): unknown[] {
  checkTaskTypes(tasks, path, rules.allowedTypes)
  return mapTasks(tasks, path, (task, where) => tenantizeTask(task, where, rules))
}

/** A client's workflow definition as it goes to Conductor. */
export function tenantizeDef(def: unknown, path: string, rules: DefRules, owner: string): JsonObject {
  if (!isObject(def)) {
    throw new AppError('FG_ERR_HTTP_BAD_REQUEST', {
      errors: [{ where: path, message: 'expected a workflow definition object' }],
    })
  }
  if (!Array.isArray(def.tasks)) {
    throw new AppError('FG_ERR_HTTP_BAD_REQUEST', {
      errors: [{ where: `${path}.tasks`, message: 'expected an array of tasks' }],
    })
  }
  const out: JsonObject = { ...def }
  out.name = prefix(rules.tenant, def.name, `${path}.name`)
  out.tasks = tenantizeTasks(def.tasks, `${path}.tasks`, rules)
  out.ownerEmail = owner
  if (def.failureWorkflow !== undefined && def.failureWorkflow !== '') {
    out.failureWorkflow = prefix(rules.tenant, def.failureWorkflow, `${path}.failureWorkflow`)
  }
  return out
}

/** Where a task names another task or workflow in its inputs (run-time-tasks.ts), as [key, shared allowed]. */
function namedInInputs(task: JsonObject): Array<[key: string, allowGlobal: boolean]> {
  const keys: Array<[string, boolean]> = [['forkTaskName', true]]
  if (typeof task.dynamicTaskNameParam === 'string') keys.push([task.dynamicTaskNameParam, true])
  return keys
}

function taskVisible(task: JsonObject, tenant: string): boolean {
  if (strip(tenant, task.name, true) === undefined) return false
  if (isObject(task.subWorkflowParam) && !owns(tenant, task.subWorkflowParam.name)) return false
  if (isObject(task.inputParameters)) {
    const inputs = task.inputParameters
    for (const [key, allowGlobal] of namedInInputs(task)) {
      if (typeof inputs[key] === 'string' && strip(tenant, inputs[key], allowGlobal) === undefined)
        return false
    }
    if (isObject(inputs.startWorkflow) && !owns(tenant, inputs.startWorkflow.name)) return false
  }
  return true
}

function stripInputs(task: JsonObject, tenant: string): JsonObject {
  const inputs: JsonObject = { ...(task.inputParameters as JsonObject) }
  for (const [key, allowGlobal] of [...namedInInputs(task), ['expectedName', true] as [string, boolean]]) {
    const name = typeof inputs[key] === 'string' ? strip(tenant, inputs[key], allowGlobal) : undefined
    if (name !== undefined) inputs[key] = name
  }
  if (isObject(inputs.startWorkflow)) {
    const { taskToDomain: _domain, ...request } = inputs.startWorkflow
    inputs.startWorkflow = { ...request, name: strip(tenant, request.name) }
  }
  return inputs
}

function stripTask(task: JsonObject, tenant: string): JsonObject {
  task.name = strip(tenant, task.name, true)
  if (isObject(task.subWorkflowParam)) {
    task.subWorkflowParam = { ...task.subWorkflowParam, name: strip(tenant, task.subWorkflowParam.name) }
  }
  if (isObject(task.taskDefinition) && typeof task.taskDefinition.name === 'string') {
    task.taskDefinition = { ...task.taskDefinition, name: strip(tenant, task.taskDefinition.name, true) }
  }
  if (isObject(task.inputParameters)) task.inputParameters = stripInputs(task, tenant)
  return task
}

/** A Conductor definition as the tenant sees it, or undefined when it is not (wholly) theirs. */
export function stripDef(def: unknown, tenant: string): JsonObject | undefined {
  if (!isObject(def) || !owns(tenant, def.name)) return undefined
  let visible = true
  visitTasks(def.tasks, 'tasks', (task) => {
    if (!taskVisible(task, tenant)) visible = false
  })
  const failure = def.failureWorkflow
  if (typeof failure === 'string' && failure !== '' && !owns(tenant, failure)) visible = false
  if (!visible) return undefined
  const out: JsonObject = { ...def, name: strip(tenant, def.name) }
  out.tasks = mapTasks(def.tasks, 'tasks', (task) => stripTask(task, tenant))
  if (typeof def.failureWorkflow === 'string' && def.failureWorkflow !== '') {
    out.failureWorkflow = strip(tenant, def.failureWorkflow)
  }
  return out
}
