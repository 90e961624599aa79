/**
 * @module Keeps the portable core free of runtime-specific code: no Node/Bun/Deno modules or
 * globals, nothing from src/runtime/ or src/node/. Parsed with TypeScript, so comments and
 * strings never count and multi-line imports do.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { isBuiltin } from 'node:module'
import { dirname, join, posix, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** The portable core, as tsconfig.json lists it. */
const CORE = [
  'src/app.ts',
  'src/compose.ts',
  'src/module.ts',
  'src/portable.ts',
  'src/env.ts',
  'src/errors.ts',
  'src/config',
  'src/middleware',
  'src/handlers',
  'src/proxy',
  'src/identity',
  'src/tenancy',
  'src/ops',
  'src/gateway',
  'src/task-proxy',
  'src/sdk',
]

const RUNTIME_GLOBALS = new Set(['process', 'Deno', 'Bun'])
const RUNTIME_FOLDERS = ['src/runtime', 'src/node']

/** Why a module specifier is not allowed in the core, or undefined when it is. */
function forbiddenSpecifier(specifier: string, fromFile: string): string | undefined {
  if (specifier.startsWith('node:')) return 'a Node built-in'
  if (specifier === 'bun' || specifier.startsWith('bun:')) return 'a Bun module'
  if (specifier === 'deno' || specifier.startsWith('deno:')) return 'a Deno module'
  if (specifier.startsWith('npm:') || specifier.startsWith('jsr:')) return 'a Deno registry specifier'
  if (isBuiltin(specifier)) return 'a Node built-in'
  if (specifier.startsWith('.')) {
    const target = posix.normalize(posix.join(posix.dirname(fromFile), specifier))
    const folder = RUNTIME_FOLDERS.find((runtime) => target === runtime || target.startsWith(`${runtime}/`))
    if (folder) return `a path into ${folder}/`
  }
  return undefined
}

/** Every runtime-specific import, export-from, dynamic import, require or global use in `source`. */
function findViolations(source: string, fileName: string): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
  const found: string[] = []
  const report = (node: ts.Node, what: string) => {
    const { line } = file.getLineAndCharacterOfPosition(node.getStart(file))
    found.push(`${fileName}:${line + 1}: ${what}`)
  }
  const checkSpecifier = (node: ts.Node, specifier: ts.Expression | undefined) => {
    if (!specifier || !ts.isStringLiteralLike(specifier)) return
    const why = forbiddenSpecifier(specifier.text, fileName)
    if (why) report(node, `imports "${specifier.text}" (${why})`)
  }
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      checkSpecifier(node, node.moduleSpecifier)
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      checkSpecifier(node, node.moduleReference.expression)
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      checkSpecifier(node, node.argument.literal)
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression
      const dynamic = callee.kind === ts.SyntaxKind.ImportKeyword
      const required = ts.isIdentifier(callee) && callee.text === 'require'
      if (dynamic || required) checkSpecifier(node, node.arguments[0])
    } else if (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) {
      const target = node.expression
      if (ts.isIdentifier(target) && RUNTIME_GLOBALS.has(target.text))
        report(node, `uses the ${target.text} global`)
      if (ts.isIdentifier(target) && target.text === 'globalThis') {
        const name = ts.isPropertyAccessExpression(node)
          ? node.name.text
          : ts.isStringLiteralLike(node.argumentExpression)
            ? node.argumentExpression.text
            : ''
        if (RUNTIME_GLOBALS.has(name)) report(node, `uses the ${name} global`)
      }
    }
    ts.forEachChild(node, visit)
  }
  visit(file)
  return found
}

function tsFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return path.endsWith('.ts') ? [path] : []
  return readdirSync(path).flatMap((entry) => tsFiles(join(path, entry)))
}

const coreFiles = CORE.map((entry) => join(ROOT, entry))
  .filter((path) => existsSync(path))
  .flatMap(tsFiles)
  .map((path) => relative(ROOT, path).split('\\').join('/'))
  .sort()

describe('the scanner', () => {
  it.each([
    ['a node: import', "import { readFileSync } from 'node:fs'"],
    ['a node: type import', "import type { Server } from 'node:http'"],
    ['a bare Node built-in', "import { createHash } from 'crypto'"],
    ['a Node built-in subpath', "import { setTimeout } from 'timers/promises'"],
    ['a multi-line import', "import {\n  readFile,\n  writeFile,\n} from 'node:fs/promises'"],
    ['a side-effect import', "import 'node:process'"],
    ['an export from', "export { spawn } from 'node:child_process'"],
    ['an export star', "export * from 'bun:sqlite'"],
    ['a bun import', "import { serve } from 'bun'"],
    ['a bun: import', "import { Database } from 'bun:sqlite'"],
    ['a deno import', "import * as deno from 'deno'"],
    ['an npm: specifier', "import chalk from 'npm:chalk@5'"],
    ['a jsr: specifier', "import { assert } from 'jsr:@std/assert'"],
    ['a dynamic import', "const fs = await import('node:fs')"],
    ['a dynamic import of the runtime folder', "const m = await import('../runtime/node.ts')"],
    ['a require', "const fs = require('fs')"],
    ['an import type expression', "type S = import('node:http').Server"],
    ['a relative path into src/runtime', "import { loadConfig } from '../runtime/load-config.ts'"],
    ['a relative path into src/node', "import { mount } from '../node/mount.ts'"],
    ['the src/node folder itself', "import * as node from '../node'"],
    ['process.env', 'const port = process.env.PORT'],
    ['process as an element', "const env = process['env']"],
    ['Deno.env', "const port = Deno.env.get('PORT')"],
    ['Bun.serve', 'Bun.serve({ fetch })'],
    ['globalThis.process', 'const p = globalThis.process'],
    ['globalThis["Deno"]', "const d = globalThis['Deno']"],
  ])('catches %s', (_what, source) => {
    expect(findViolations(source, 'src/lib/sample.ts')).toHaveLength(1)
  })

  it.each([
    ['a package import', "import { Hono } from 'hono'"],
    ['a package subpath', "import { HTTPException } from 'hono/http-exception'"],
    ['a sibling core module', "import { AppError } from '../errors.ts'"],
    ['a name that only starts like a runtime folder', "import { x } from '../runtimes/x.ts'"],
    ['a mention in a comment', '// never read process.env here; see src/runtime/node/node.ts\nconst a = 1'],
    ['a block comment', "/* import fs from 'node:fs'; Deno.exit() */"],
    ['a mention in a string', "const hint = 'set process.env.PORT or use Bun.serve'"],
    ['a local named like a global', 'const processed = items.map((item) => item.process)'],
    ['a property called process', 'const task = { process: 1 }.process'],
    ['Web platform globals', 'const id = crypto.randomUUID(); const t = performance.now()'],
  ])('lets %s pass', (_what, source) => {
    expect(findViolations(source, 'src/lib/sample.ts')).toEqual([])
  })

  it('resolves relative paths from the file that imports them', () => {
    expect(findViolations("import { x } from './runtime/x.ts'", 'src/app.ts')).toHaveLength(1)
    expect(findViolations("import { x } from './runtime/x.ts'", 'src/lib/app.ts')).toEqual([])
  })

  it('reports the line of a violation', () => {
    expect(findViolations("const a = 1\n\nimport fs from 'node:fs'", 'src/lib/x.ts')).toEqual([
      'src/lib/x.ts:3: imports "node:fs" (a Node built-in)',
    ])
  })
})

describe('core purity', () => {
  it('finds the core files to scan', () => {
    expect(coreFiles).toContain('src/app.ts')
    expect(coreFiles).toContain('src/config/resolve.ts')
    expect(coreFiles.some((file) => file.startsWith('src/middleware/'))).toBe(true)
  })

  it.each(coreFiles)('%s uses nothing runtime-specific', (file) => {
    expect(findViolations(readFileSync(join(ROOT, file), 'utf8'), file)).toEqual([])
  })
})
