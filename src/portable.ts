/**
 * @module The portable modules every entry mounts on its user-facing listener — today the
 * Conductor gateway — and that app composed, for the entries that serve only the portable core.
 */
import { createApp } from './app.ts'
import { type ComposedApp, composeApp, type MountSpec } from './compose.ts'
import type { AppDeps } from './env.ts'
import { gatewayModule } from './gateway/index.ts'
import type { SharedServices } from './module.ts'

export const PORTABLE_MODULES: readonly MountSpec[] = [gatewayModule]

/** The user-facing app: the chain, ops routes and error boundary, the portable modules, then `more`. */
export function createMainApp(
  deps: AppDeps,
  more: readonly MountSpec[] = [],
  services?: SharedServices
): ComposedApp {
  return composeApp(createApp(deps), deps, [...PORTABLE_MODULES, ...more], services)
}
