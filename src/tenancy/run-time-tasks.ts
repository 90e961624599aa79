/**
 * @module Tasks whose shape Conductor takes from run-time data (FORK_JOIN_DYNAMIC, DYNAMIC,
 * START_WORKFLOW) are confined where the gateway sees them, in the stored definition: their task
 * name, type, sub-workflow and domain must be written there, so that workflow input and task
 * output can only ever become task *inputs*. Run-time values cannot be vetted: system tasks
 * compute outputs inside the engine and never pass the gateway (docs/GATEWAY.md).
 */
import { AppError } from '../errors.ts'
import { prefix } from './naming.ts'
import { isObject, type JsonObject } from './workflow-tasks.ts'

/**
 * Types a simple dynamic fork may fan out to. Conductor builds each forked task by reading the
 * input item as a whole WorkflowTask, so a type that reads more than its inputs from it (an
 * EVENT's sink, a SUB_WORKFLOW's params and domain, a fork's or loop's task lists) would take
 * that from the data.
 */
const FORKABLE_TYPES = new Set([
  'SIMPLE',
  'HTTP',
  'INLINE',
  'LAMBDA',
  'JSON_JQ_TRANSFORM',
  'KAFKA_PUBLISH',
  'WAIT',
  'HUMAN',
  'NOOP',
  'SET_VARIABLE',
])

/** Conductor reads a whole task list from data through the input key this field names (the legacy form). */
const LEGACY_LIST = 'dynamicForkJoinTasksParam'
/**
 * Conductor's validator requires these two on every dynamic fork, and falls back to reading a task
 * list through them when `forkTaskInputs` is not a list at run time: they may only name input keys
 * the definition leaves unbound, so that fallback reads nothing and fails the fork.
 */
const UNBOUND_KEYS = [
  ['dynamicForkTasksParam', 'flowgateNoTaskList'],
  ['dynamicForkTasksInputParamName', 'flowgateNoTaskInputs'],
] as const

const FORK_HINT =
  'name the forked task in inputParameters.forkTaskName (and forkTaskType) and pass the run-time data as forkTaskInputs'

export interface RunTimeRules {
  tenant: string
  allowedTypes: ReadonlySet<string>
}

function forbidden(where: string, message: string): AppError {
  return new AppError('FG_ERR_GATEWAY_FIELD_FORBIDDEN', { errors: [{ where, message }] })
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== ''
}

/** A name written in the definition: a string that is not a `${…}` expression Conductor resolves at run time. */
function literal(value: unknown): value is string {
  return typeof value === 'string' && !value.includes('${')
}

function inputsOf(task: JsonObject, where: string): JsonObject {
  if (!isObject(task.inputParameters)) {
    throw forbidden(`${where}.inputParameters`, 'expected an object written in the definition')
  }
  return { ...task.inputParameters }
}

/**
 * FORK_JOIN_DYNAMIC in its simple form only: a literal (prefixed) `forkTaskName`, an optional
 * literal `forkTaskType` from FORKABLE_TYPES, no sub-workflow fan-out (an input item's
 * `taskToDomain` would become the sub-workflow's domain), and no input key through which a task
 * list could be read from data. `forkTaskInputs` is data and stays so.
 */
function confineDynamicFork(task: JsonObject, where: string, rules: RunTimeRules): void {
  const fromData = `a dynamic fork may not take its tasks from run-time data: ${FORK_HINT}`
  if (present(task[LEGACY_LIST])) throw forbidden(`${where}.${LEGACY_LIST}`, fromData)
  const inputs = inputsOf(task, where)
  for (const [field, unbound] of UNBOUND_KEYS) {
    if (!present(task[field])) task[field] = unbound
    const key = task[field]
    if (typeof key !== 'string' || Object.hasOwn(inputs, key)) throw forbidden(`${where}.${field}`, fromData)
  }
  for (const field of ['forkTaskWorkflow', 'forkTaskWorkflowVersion']) {
    if (present(inputs[field])) {
      throw forbidden(
        `${where}.inputParameters.${field}`,
        'a dynamic fork may not fan out to sub-workflows (each run-time item could name its domain)'
      )
    }
  }
  if (!literal(inputs.forkTaskName)) {
    throw forbidden(
      `${where}.inputParameters.forkTaskName`,
      `a dynamic fork needs a literal task name: ${FORK_HINT}`
    )
  }
  inputs.forkTaskName = prefix(
    rules.tenant,
    inputs.forkTaskName,
    `${where}.inputParameters.forkTaskName`,
    true
  )
  if (present(inputs.forkTaskType)) {
    const type = typeof inputs.forkTaskType === 'string' ? inputs.forkTaskType.toUpperCase() : ''
    if (!FORKABLE_TYPES.has(type) || (type !== 'SIMPLE' && !rules.allowedTypes.has(type))) {
      throw new AppError('FG_ERR_GATEWAY_TASK_TYPE_FORBIDDEN', {
        errors: [
          {
            where: `${where}.inputParameters.forkTaskType`,
            message: `a dynamic fork may not fan out to ${JSON.stringify(inputs.forkTaskType)} tasks`,
          },
        ],
      })
    }
    inputs.forkTaskType = type
  }
  task.inputParameters = inputs
}

/** DYNAMIC: the parameter that names the task must hold a literal task name (prefixed). */
function confineDynamicTask(task: JsonObject, where: string, rules: RunTimeRules): void {
  const param = task.dynamicTaskNameParam
  if (typeof param !== 'string' || param === '') {
    throw forbidden(`${where}.dynamicTaskNameParam`, 'expected the name of an input parameter')
  }
  const inputs = inputsOf(task, where)
  if (!literal(inputs[param])) {
    throw forbidden(
      `${where}.inputParameters.${param}`,
      'a DYNAMIC task must name its task in the definition, not take the name from run-time data'
    )
  }
  inputs[param] = prefix(rules.tenant, inputs[param], `${where}.inputParameters.${param}`, true)
  task.inputParameters = inputs
}

/** START_WORKFLOW: a literal request naming the tenant's workflow, started in the tenant domain. */
function confineStartWorkflow(task: JsonObject, where: string, rules: RunTimeRules): void {
  const inputs = inputsOf(task, where)
  const request = inputs.startWorkflow
  if (!isObject(request)) {
    throw forbidden(
      `${where}.inputParameters.startWorkflow`,
      'expected a start request written in the definition'
    )
  }
  for (const field of [
    'taskToDomain',
    'workflowDef',
    'workflowDefinition',
    'externalInputPayloadStoragePath',
  ]) {
    if (present(request[field])) {
      throw forbidden(
        `${where}.inputParameters.startWorkflow.${field}`,
        'the gateway sets the task domain and allows no inline definitions'
      )
    }
  }
  inputs.startWorkflow = {
    ...request,
    name: prefix(rules.tenant, request.name, `${where}.inputParameters.startWorkflow.name`),
    taskToDomain: { '*': rules.tenant },
  }
  task.inputParameters = inputs
}

/** Confines one task (already type-checked) whose shape Conductor would take from data. */
export function confineRunTimeTask(task: JsonObject, where: string, rules: RunTimeRules): void {
  const type = typeof task.type === 'string' ? task.type.toUpperCase() : 'SIMPLE'
  if (type === 'FORK_JOIN_DYNAMIC') confineDynamicFork(task, where, rules)
  else if (type === 'DYNAMIC') confineDynamicTask(task, where, rules)
  else if (type === 'START_WORKFLOW') confineStartWorkflow(task, where, rules)
}
