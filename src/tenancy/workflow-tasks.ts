/**
 * @module Walks Conductor workflow tasks (WorkflowTask) through every place a task can nest:
 * DECISION/SWITCH cases and default, FORK/FORK_JOIN branches, DO_WHILE loops.
 */

export type JsonObject = Record<string, unknown>

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The nested task lists of one task, with a path suffix for error messages. */
export function childLists(task: JsonObject): Array<[path: string, tasks: unknown[]]> {
  const lists: Array<[string, unknown[]]> = []
  if (isObject(task.decisionCases)) {
    for (const [key, tasks] of Object.entries(task.decisionCases)) {
      if (Array.isArray(tasks)) lists.push([`decisionCases.${key}`, tasks])
    }
  }
  if (Array.isArray(task.defaultCase)) lists.push(['defaultCase', task.defaultCase])
  if (Array.isArray(task.forkTasks)) {
    task.forkTasks.forEach((branch, index) => {
      if (Array.isArray(branch)) lists.push([`forkTasks[${index}]`, branch])
    })
  }
  if (Array.isArray(task.loopOver)) lists.push(['loopOver', task.loopOver])
  return lists
}

/** Visits every task, depth first, with its JSON-ish path. */
export function visitTasks(
  tasks: unknown,
  path: string,
  visit: (task: JsonObject, path: string) => void
): void {
  if (!Array.isArray(tasks)) return
  tasks.forEach((task, index) => {
    const here = `${path}[${index}]`
    if (!isObject(task)) return
    visit(task, here)
    for (const [suffix, children] of childLists(task)) visitTasks(children, `${here}.${suffix}`, visit)
  })
}

/** A copy of a task list with `map` applied to every task (children mapped first). */
export function mapTasks(
  tasks: unknown,
  path: string,
  map: (task: JsonObject, path: string) => JsonObject
): unknown[] {
  if (!Array.isArray(tasks)) return []
  return tasks.map((task, index) => {
    const here = `${path}[${index}]`
    if (!isObject(task)) return task
    const copy: JsonObject = { ...task }
    if (isObject(task.decisionCases)) {
      copy.decisionCases = Object.fromEntries(
        Object.entries(task.decisionCases).map(([key, list]) => [
          key,
          mapTasks(list, `${here}.decisionCases.${key}`, map),
        ])
      )
    }
    if (Array.isArray(task.defaultCase))
      copy.defaultCase = mapTasks(task.defaultCase, `${here}.defaultCase`, map)
    if (Array.isArray(task.forkTasks)) {
      copy.forkTasks = task.forkTasks.map((branch, i) => mapTasks(branch, `${here}.forkTasks[${i}]`, map))
    }
    if (Array.isArray(task.loopOver)) copy.loopOver = mapTasks(task.loopOver, `${here}.loopOver`, map)
    return map(copy, here)
  })
}
