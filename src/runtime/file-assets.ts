/** @module Serves the API viewer's files from the installed swagger-ui-dist package. */
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AssetSource } from '../env.ts'

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

/** An AssetSource over swagger-ui-dist, or undefined when the package is not installed. */
export function swaggerUiAssets(): AssetSource | undefined {
  let dir: string
  try {
    dir = dirname(fileURLToPath(import.meta.resolve('swagger-ui-dist/package.json')))
  } catch {
    return undefined
  }
  return async (name) => {
    if (!SAFE_NAME.test(name)) return undefined
    try {
      return new Response(await readFile(join(dir, name)))
    } catch {
      return undefined
    }
  }
}
