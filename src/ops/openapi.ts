/**
 * @module Builds /openapi.json (OpenAPI 3.1) from the routes' own zod schemas, so the document
 * cannot drift from what the handlers validate. https://spec.openapis.org/oas/v3.1.0
 */
import { z } from 'zod'

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete'

export interface ResponseDoc {
  description: string
  /** Defaults to application/json when a schema is given. */
  contentType?: string
  schema?: z.ZodType
}

export interface RouteDoc {
  method: HttpMethod
  /** Hono path syntax (`/api/workflow/:id`); converted to `{id}`. */
  path: string
  summary: string
  tags?: string[]
  description?: string
  params?: z.ZodObject
  query?: z.ZodObject
  body?: { contentType?: string; schema: z.ZodType; required?: boolean }
  responses: Record<number, ResponseDoc>
}

type JsonObject = Record<string, unknown>

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' })
  return rest
}

function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, '{$1}')
}

function parameters(where: 'path' | 'query', schema: z.ZodObject | undefined): JsonObject[] {
  if (!schema) return []
  const required = new Set((jsonSchema(schema, 'input').required as string[] | undefined) ?? [])
  return Object.entries(schema.shape).map(([name, field]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    schema: jsonSchema(field as z.ZodType, 'input'),
  }))
}

/** Collects route documents as the app is built; `document()` renders the whole API. */
export class OpenApiRegistry {
  readonly #routes: RouteDoc[] = []

  add(route: RouteDoc): void {
    this.#routes.push(route)
  }

  /** `METHOD path` of every documented route (Hono path syntax). */
  get documented(): string[] {
    return this.#routes.map((route) => `${route.method.toUpperCase()} ${route.path}`)
  }

  document(info: { title: string; version: string; description?: string }): JsonObject {
    const paths: Record<string, JsonObject> = {}
    for (const route of this.#routes) {
      const item = paths[openApiPath(route.path)] ?? {}
      paths[openApiPath(route.path)] = item
      const responses: JsonObject = {}
      for (const [status, response] of Object.entries(route.responses)) {
        const entry: JsonObject = { description: response.description }
        if (response.schema || response.contentType) {
          const type = response.contentType ?? 'application/json'
          entry.content = { [type]: response.schema ? { schema: jsonSchema(response.schema, 'output') } : {} }
        }
        responses[status] = entry
      }
      const operation: JsonObject = {
        summary: route.summary,
        operationId: `${route.method}${openApiPath(route.path).replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
        responses,
      }
      if (route.tags) operation.tags = route.tags
      if (route.description) operation.description = route.description
      const params = [...parameters('path', route.params), ...parameters('query', route.query)]
      if (params.length > 0) operation.parameters = params
      if (route.body) {
        operation.requestBody = {
          required: route.body.required ?? true,
          content: {
            [route.body.contentType ?? 'application/json']: {
              schema: jsonSchema(route.body.schema, 'input'),
            },
          },
        }
      }
      item[route.method] = operation
    }
    return {
      openapi: '3.1.0',
      info,
      paths,
      components: { schemas: { Problem: jsonSchema(problemSchema, 'output') } },
    }
  }
}

/** The problem+json body every error shares (errors.ts builds it). */
export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  code: z.string(),
  requestId: z.string().optional(),
  errors: z.array(z.object({ where: z.string(), message: z.string() })).optional(),
})

/** The standard error response entry for a route document. */
export function problemResponse(description: string): ResponseDoc {
  return { description, contentType: 'application/problem+json', schema: problemSchema }
}
