/** @module OpenAPI entries of the gateway routes (served under /api and /proxy/api). */
import type { HttpMethod, OpenApiRegistry } from '../ops/openapi.ts'
import { problemResponse } from '../ops/openapi.ts'

/** The prefixes the gateway routes are served under. */
export const GATEWAY_PREFIXES = ['/api', '/proxy/api'] as const

/** Documents a gateway route under each prefix, with the errors every gateway route can give. */
export function documentGateway(
  openapi: OpenApiRegistry,
  method: HttpMethod,
  path: string,
  summary: string
): void {
  for (const base of GATEWAY_PREFIXES) {
    openapi.add({
      method,
      path: `${base}${path}`,
      summary,
      tags: ['conductor'],
      responses: {
        200: { description: 'What Conductor answers, with tenant prefixes removed' },
        400: problemResponse('Invalid input'),
        401: problemResponse('No valid identity'),
        403: problemResponse('Not allowed for your roles and groups'),
        404: problemResponse('Not found, or not yours'),
        502: problemResponse('Conductor cannot be reached'),
        504: problemResponse('Conductor did not answer in time'),
      },
    })
  }
}
