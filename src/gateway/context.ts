/** @module What every Conductor gateway route shares: the upstream, the rules, small helpers. */
import type { Context } from 'hono'
import type { AppEnv } from '../env.ts'
import { AppError } from '../errors.ts'
import type { Principal } from '../identity/principal.ts'
import { principalOf } from '../identity/principal.ts'
import { responseHeaders, type Upstream, type UpstreamCall } from '../proxy/forward.ts'
import { passThrough, readBounded, readJson, scrubTenant } from '../proxy/json-rewrite.ts'
import { type EngineRefusal, refusalOf } from '../proxy/upstream-errors.ts'
import type { DefRules } from '../tenancy/workflow-def.ts'

export interface GatewayContext {
  upstream: Upstream
  rewriteLimit: number
  pollTimeoutMs: number
  denyStatus: 403 | 427
  allowedTypes: ReadonlySet<string>
}

export function rulesFor(gateway: GatewayContext, principal: Principal): DefRules {
  return { tenant: principal.tenant, allowedTypes: gateway.allowedTypes }
}

/**
 * Calls the engine and reads its JSON answer; non-2xx answers are thrown as flowgate's own error
 * when they are one of `refusals` (the caller's fault), else returned as scrubbed responses.
 */
export async function callJson(
  c: Context<AppEnv>,
  gateway: GatewayContext,
  call: UpstreamCall,
  refusals: readonly EngineRefusal[] = []
): Promise<{ ok: true; body: unknown } | { ok: false; response: Response }> {
  const response = await gateway.upstream.call(c, { readWhole: gateway.rewriteLimit, ...call })
  if (!response.ok) return { ok: false, response: await failedAnswer(c, gateway, response, refusals) }
  return { ok: true, body: await readJson(response, gateway.rewriteLimit) }
}

/** Forwards and passes the engine's answer back, scrubbed, or throws one of `refusals` as above. */
export async function forwardScrubbed(
  c: Context<AppEnv>,
  gateway: GatewayContext,
  call: UpstreamCall,
  refusals: readonly EngineRefusal[] = []
): Promise<Response> {
  const response = await gateway.upstream.call(c, call)
  if (!response.ok && refusals.length > 0) return failedAnswer(c, gateway, response, refusals)
  return passThrough(response, principalOf(c).tenant, gateway.rewriteLimit)
}

/** A non-2xx engine answer: thrown as flowgate's error when it is a refusal, else passed on scrubbed. */
async function failedAnswer(
  c: Context<AppEnv>,
  gateway: GatewayContext,
  response: Response,
  refusals: readonly EngineRefusal[]
): Promise<Response> {
  const { tenant } = principalOf(c)
  if (refusals.length === 0) return passThrough(response, tenant, gateway.rewriteLimit)
  const text = await readBounded(response, gateway.rewriteLimit)
  const refusal = refusalOf(response.status, text, refusals)
  if (refusal) throw refusal
  return new Response(text === '' ? null : scrubTenant(text, tenant), {
    status: response.status,
    headers: responseHeaders(response),
  })
}

/** The request's JSON body; 415 when it is not JSON, 400 when it does not parse. */
export async function jsonBody(c: Context<AppEnv>): Promise<unknown> {
  const type = c.req.header('content-type') ?? ''
  if (!/^application\/(.+\+)?json\b/i.test(type)) {
    throw new AppError('FG_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE', { detail: 'Send the body as application/json.' })
  }
  let body: unknown
  try {
    body = (await c.req.json()) as unknown
  } catch (error) {
    throw new AppError('FG_ERR_HTTP_BAD_REQUEST', { detail: 'The body is not valid JSON.', cause: error })
  }
  // Deeper bodies overflow the stack of the recursive rewrites and of JSON.stringify (a 500);
  // Conductor's Jackson refuses more than 1000 levels anyway.
  if (nestedDeeperThan(body, MAX_JSON_DEPTH)) {
    throw new AppError('FG_ERR_HTTP_BAD_REQUEST', {
      detail: `The body nests deeper than ${MAX_JSON_DEPTH} levels.`,
    })
  }
  return body
}

const MAX_JSON_DEPTH = 1000

/** Whether a parsed JSON value nests deeper than `max` arrays/objects (iterative, so it cannot overflow). */
function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]]
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [node, depth] = item
    if (typeof node !== 'object' || node === null) continue
    if (depth >= max) return true
    for (const child of Object.values(node)) stack.push([child, depth + 1])
  }
  return false
}

export function notFound(what: string): AppError {
  return new AppError('FG_ERR_GATEWAY_NOT_FOUND', { detail: `No such ${what}.` })
}

/** Path segment from the URL, encoded again for the upstream path. */
export function segment(value: string): string {
  return encodeURIComponent(value)
}
