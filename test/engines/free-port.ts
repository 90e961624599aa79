/** @module A loopback port nobody listens on right now, picked by the kernel (shared with the integration tests). */
export { freePort } from '../integration/processes.ts'
