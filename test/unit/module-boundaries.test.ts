/**
 * @module Keeps each capability in its own folder on the one contract: a module imports no other
 * module (only the process kernel, the shared Node helpers and the contract), the portable
 * gateway and task proxy do not import each other, runtime entries use their public faces
 * (index.ts), and the CLI never reaches into src/node/.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, posix, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** Folders every node-only module may use besides its own. */
const NODE_SHARED = ['src/node/process', 'src/node/shared']
const NODE_CONTRACT = 'src/node/module.ts'
const PORTABLE_MODULES = ['src/gateway', 'src/task-proxy']

function tsFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return path.endsWith('.ts') ? [path] : []
  return readdirSync(path).flatMap((entry) => tsFiles(join(path, entry)))
}

const under = (path: string, folder: string) => path === folder || path.startsWith(`${folder}/`)

/** The repository paths `file` imports relatively (static, dynamic and type imports alike). */
function importsOf(source: string, file: string): string[] {
  return ts
    .preProcessFile(source, true, true)
    .importedFiles.map((imported) => imported.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => posix.normalize(posix.join(posix.dirname(file), name)))
}

/** The folder of the module `path` belongs to (src/node/<name> or a portable module), if any. */
function moduleOf(path: string): string | undefined {
  const node = /^src\/node\/([^/]+)\//.exec(path)
  if (node?.[1] && !NODE_SHARED.includes(`src/node/${node[1]}`)) return `src/node/${node[1]}`
  return PORTABLE_MODULES.find((folder) => under(path, folder))
}

/** Why `file` may not import `target`, or undefined when it may. */
function crossing(file: string, target: string): string | undefined {
  if (under(file, 'src/cli') && under(target, 'src/node')) return 'the CLI reaches into src/node/'
  const face = PORTABLE_MODULES.find((folder) => under(target, folder))
  if (under(file, 'src/runtime') && face && target !== `${face}/index.ts`) {
    return `a runtime entry reaches past ${face}/index.ts`
  }
  const own = moduleOf(file)
  if (!own) return undefined
  if (under(target, own) || target === NODE_CONTRACT) return undefined
  if (NODE_SHARED.some((folder) => under(target, folder))) return undefined
  const other = moduleOf(target) ?? (target === 'src/node/mount.ts' ? 'the module registry' : undefined)
  return other ? `module ${own} imports ${other}` : undefined
}

const files = tsFiles(join(ROOT, 'src'))
  .map((path) => relative(ROOT, path).split('\\').join('/'))
  .sort()

describe('the boundary check', () => {
  it.each([
    [
      'src/node/exec/x.ts',
      'src/node/script-worker/y.ts',
      'module src/node/exec imports src/node/script-worker',
    ],
    ['src/node/exec/x.ts', 'src/node/mount.ts', 'module src/node/exec imports the module registry'],
    ['src/gateway/x.ts', 'src/task-proxy/y.ts', 'module src/gateway imports src/task-proxy'],
    ['src/cli/serve.ts', 'src/node/exec/index.ts', 'the CLI reaches into src/node/'],
    ['src/node/exec/x.ts', 'src/node/process/spawner.ts', undefined],
    ['src/node/exec/x.ts', 'src/node/module.ts', undefined],
    ['src/node/exec/x.ts', 'src/node/exec/y.ts', undefined],
    ['src/node/exec/x.ts', 'src/ops/logger.ts', undefined],
    ['src/cli/serve.ts', 'src/runtime/node/node.ts', undefined],
    [
      'src/runtime/bun/pass-through.ts',
      'src/task-proxy/direct-pass.ts',
      'a runtime entry reaches past src/task-proxy/index.ts',
    ],
    ['src/runtime/bun/pass-through.ts', 'src/task-proxy/index.ts', undefined],
  ])('%s importing %s: %s', (file, target, expected) => {
    expect(crossing(file, target)).toBe(expected)
  })

  it('reads static, dynamic and type imports', () => {
    const source =
      "import a from './a.ts'\nimport type { B } from '../b.ts'\nconst c = await import('./c/c.ts')"
    expect(importsOf(source, 'src/node/exec/x.ts')).toEqual([
      'src/node/exec/a.ts',
      'src/node/b.ts',
      'src/node/exec/c/c.ts',
    ])
  })
})

describe('module boundaries', () => {
  it.each(files)('%s stays inside its own module', (file) => {
    const problems = importsOf(readFileSync(join(ROOT, file), 'utf8'), file)
      .map((target) => crossing(file, target))
      .filter((problem) => problem !== undefined)
    expect(problems).toEqual([])
  })
})
