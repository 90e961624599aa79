/** @module Detects the runtime once and reports what it can do; modules branch on this, not on names. */
import { getRuntimeKey } from 'hono/adapter'
import type { Capabilities, RuntimeKey } from '../env.ts'

interface DenoPermissions {
  permissions?: { querySync?: (descriptor: { name: string }) => { state: string } }
}

function denoGranted(name: string): boolean {
  const deno = (globalThis as { Deno?: DenoPermissions }).Deno
  try {
    return deno?.permissions?.querySync?.({ name }).state === 'granted'
  } catch {
    return false
  }
}

let detected: Capabilities | undefined

/** What this process's runtime offers; computed on first call, then reused. */
export function detectCapabilities(): Capabilities {
  if (detected) return detected
  const key = getRuntimeKey()
  const runtime: RuntimeKey =
    key === 'node' || key === 'bun' || key === 'deno' || key === 'workerd' ? key : 'other'
  switch (runtime) {
    case 'node':
    case 'bun':
      detected = { runtime, childProcess: true, fs: true, webSocketServer: true }
      break
    case 'deno':
      detected = { runtime, childProcess: denoGranted('run'), fs: denoGranted('read'), webSocketServer: true }
      break
    default:
      detected = { runtime, childProcess: false, fs: false, webSocketServer: false }
  }
  return Object.freeze(detected)
}
