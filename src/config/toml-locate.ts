/** @module Finds the line and column of a key in TOML text, so a bad value can name its place. */

export interface TextPosition {
  line: number
  column: number
}

const HEADER = /^\s*\[\s*([A-Za-z0-9_."' -]+?)\s*\]\s*(#.*)?$/
const ASSIGNMENT =
  /^(\s*)((?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+))*)\s*=\s*/

function unquote(part: string): string {
  const trimmed = part.trim()
  return /^(["']).*\1$/.test(trimmed) ? trimmed.slice(1, -1) : trimmed
}

function splitDotted(key: string): string[] {
  return (key.match(/"[^"]*"|'[^']*'|[^.]+/g) ?? []).map(unquote)
}

/**
 * Position (1-based) of the value of `path` (e.g. ["server", "port"]) in TOML text: under a
 * `[server]` header, or as a dotted key. Returns the position of the table header when only
 * the table is named (or of its first sub-table's header when it has no header of its own), and
 * undefined when it cannot be found (a value in an inline table).
 */
export function locateTomlKey(text: string, path: readonly string[]): TextPosition | undefined {
  const lines = text.split(/\r?\n/)
  let table: string[] = []
  // A table defined only through its sub-tables ([exec.commands.deploy] for exec.commands).
  let firstSubTable: TextPosition | undefined
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? ''
    const header = HEADER.exec(line)
    if (header?.[1] !== undefined && !line.trimStart().startsWith('[[')) {
      table = splitDotted(header[1])
      const at = { line: index + 1, column: line.indexOf('[') + 1 }
      if (samePath(table, path)) return at
      if (
        firstSubTable === undefined &&
        table.length > path.length &&
        samePath(table.slice(0, path.length), path)
      )
        firstSubTable = at
      continue
    }
    const assignment = ASSIGNMENT.exec(line)
    if (assignment?.[2] === undefined) continue
    const full = [...table, ...splitDotted(assignment[2])]
    if (samePath(full, path)) {
      return { line: index + 1, column: assignment[0].length + 1 }
    }
  }
  return firstSubTable
}

function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((part, i) => part === b[i])
}
