/**
 * @module What a node-only module is (types only): a FlowgateModule that declares the runtime
 * capabilities it needs and is loaded by dynamic import only when its settings switch it on.
 */
import type { Config } from '../config/schema.ts'
import type { Capability, FlowgateModule } from '../module.ts'

export type { Capability, FlowgateModule, ModuleContext } from '../module.ts'

/** A registry entry (mount.ts): cheap to list, loaded only when enabled and possible. */
export interface NodeModuleEntry {
  name: string
  needs: readonly Capability[]
  enabled(config: Readonly<Config>): boolean
  load(): Promise<FlowgateModule<unknown>>
}
