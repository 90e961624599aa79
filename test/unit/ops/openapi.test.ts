import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { OpenApiRegistry, problemResponse, problemSchema, type RouteDoc } from '../../../src/ops/openapi.ts'

const INFO = { title: 'flowgate', version: '1.2.3' }

type Json = Record<string, unknown>

function documentOf(...routes: RouteDoc[]): Json {
  const registry = new OpenApiRegistry()
  for (const route of routes) registry.add(route)
  return registry.document(INFO)
}

function operation(document: Json, path: string, method: string): Json {
  const paths = document.paths as Record<string, Record<string, Json>>
  const found = paths[path]?.[method]
  if (!found) throw new Error(`no ${method} ${path} in ${Object.keys(paths).join(', ')}`)
  return found
}

const ok = { 200: { description: 'OK' } }

describe('OpenApiRegistry.document', () => {
  it('is an OpenAPI 3.1.0 document with the given info', () => {
    const document = documentOf()
    expect(document.openapi).toBe('3.1.0')
    expect(document.info).toEqual(INFO)
    expect(document.paths).toEqual({})
  })

  it('shares the Problem schema as a component', () => {
    const problem = (documentOf().components as { schemas: { Problem: Json } }).schemas.Problem
    expect(problem.type).toBe('object')
    expect(problem.required).toEqual(expect.arrayContaining(['type', 'title', 'status', 'code']))
    expect(problem).not.toHaveProperty('$schema')
  })

  it.each([
    ['/api/workflow/:id', '/api/workflow/{id}'],
    ['/api/:tenant/task/:taskId', '/api/{tenant}/task/{taskId}'],
    ['/api/item/:id{[0-9]+}', '/api/item/{id}'],
    ['/healthz', '/healthz'],
  ])('writes the Hono path %s as %s', (path, openApi) => {
    expect(
      Object.keys(documentOf({ method: 'get', path, summary: 's', responses: ok }).paths as Json)
    ).toEqual([openApi])
  })

  it('puts two methods of one path under one path item', () => {
    const document = documentOf(
      { method: 'get', path: '/a/:id', summary: 'read', responses: ok },
      { method: 'delete', path: '/a/:id', summary: 'remove', responses: ok }
    )
    expect(Object.keys((document.paths as Record<string, Json>)['/a/{id}'] ?? {})).toEqual(['get', 'delete'])
  })

  it.each([
    ['get', '/api/workflow/:id', 'getApiWorkflowId'],
    ['post', '/api/workflow', 'postApiWorkflow'],
    ['get', '/openapi.json', 'getOpenapiJson'],
    ['get', '/healthz', 'getHealthz'],
  ] as const)('names %s %s operation %s', (method, path, operationId) => {
    const document = documentOf({ method, path, summary: 's', responses: ok })
    expect(operation(document, path.replace(/:(\w+)/g, '{$1}'), method).operationId).toBe(operationId)
  })

  it('marks path parameters required and query parameters required only when they are', () => {
    const document = documentOf({
      method: 'get',
      path: '/w/:id',
      summary: 's',
      params: z.object({ id: z.string() }),
      query: z.object({ q: z.string(), limit: z.number().optional(), start: z.number().default(0) }),
      responses: ok,
    })
    const parameters = operation(document, '/w/{id}', 'get').parameters as Json[]
    expect(parameters.map(({ name, in: where, required }) => ({ name, in: where, required }))).toEqual([
      { name: 'id', in: 'path', required: true },
      { name: 'q', in: 'query', required: true },
      { name: 'limit', in: 'query', required: false },
      { name: 'start', in: 'query', required: false },
    ])
    expect(parameters[0]?.schema).toEqual({ type: 'string' })
  })

  it('leaves parameters out when a route has none', () => {
    expect(
      operation(documentOf({ method: 'get', path: '/x', summary: 's', responses: ok }), '/x', 'get')
    ).not.toHaveProperty('parameters')
  })

  it('documents a JSON request body, required unless said otherwise', () => {
    const document = documentOf(
      {
        method: 'post',
        path: '/a',
        summary: 's',
        body: { schema: z.object({ n: z.number() }) },
        responses: ok,
      },
      {
        method: 'put',
        path: '/a',
        summary: 's',
        body: { schema: z.string(), contentType: 'text/plain', required: false },
        responses: ok,
      }
    )
    expect(operation(document, '/a', 'post').requestBody).toEqual({
      required: true,
      content: {
        'application/json': {
          schema: expect.objectContaining({ type: 'object', required: ['n'] }),
        },
      },
    })
    expect(operation(document, '/a', 'put').requestBody).toEqual({
      required: false,
      content: { 'text/plain': { schema: { type: 'string' } } },
    })
  })

  it('describes a body as the client sends it and a response as the server returns it', () => {
    const shape = z.object({ n: z.number().default(1) })
    const document = documentOf({
      method: 'post',
      path: '/a',
      summary: 's',
      body: { schema: shape },
      responses: { 200: { description: 'OK', schema: shape } },
    })
    const post = operation(document, '/a', 'post')
    const body = (post.requestBody as { content: Record<string, { schema: Json }> }).content[
      'application/json'
    ]
    const response = (post.responses as Record<string, { content: Record<string, { schema: Json }> }>)['200']
    expect(body?.schema.required).toBeUndefined()
    expect(response?.content['application/json']?.schema.required).toEqual(['n'])
  })

  it.each<[string, RouteDoc['responses'][number], Json]>([
    ['a description only', { description: 'Gone' }, { description: 'Gone' }],
    [
      'a content type without a schema',
      { description: 'Metrics', contentType: 'text/plain' },
      { description: 'Metrics', content: { 'text/plain': {} } },
    ],
    [
      'a schema, as JSON by default',
      { description: 'OK', schema: z.object({ ok: z.boolean() }) },
      {
        description: 'OK',
        content: { 'application/json': { schema: expect.objectContaining({ type: 'object' }) } },
      },
    ],
  ])('documents a response with %s', (_what, response, expected) => {
    const document = documentOf({ method: 'get', path: '/r', summary: 's', responses: { 200: response } })
    expect((operation(document, '/r', 'get').responses as Json)['200']).toEqual(expected)
  })

  it('documents a schema it cannot represent instead of throwing', () => {
    const route: RouteDoc = {
      method: 'get',
      path: '/t',
      summary: 's',
      responses: { 200: { description: 'OK', schema: z.string().transform((value) => value.length) } },
    }
    expect(() => documentOf(route)).not.toThrow()
  })

  it('includes tags and description only when given', () => {
    const document = documentOf(
      { method: 'get', path: '/a', summary: 'A', tags: ['ops'], description: 'Long text.', responses: ok },
      { method: 'get', path: '/b', summary: 'B', responses: ok }
    )
    expect(operation(document, '/a', 'get')).toMatchObject({
      summary: 'A',
      tags: ['ops'],
      description: 'Long text.',
    })
    expect(Object.keys(operation(document, '/b', 'get')).sort()).toEqual([
      'operationId',
      'responses',
      'summary',
    ])
  })
})

describe('OpenApiRegistry.documented', () => {
  it('lists METHOD path of every route in Hono syntax', () => {
    const registry = new OpenApiRegistry()
    registry.add({ method: 'get', path: '/healthz', summary: 's', responses: ok })
    registry.add({ method: 'post', path: '/api/workflow/:id', summary: 's', responses: ok })
    expect(registry.documented).toEqual(['GET /healthz', 'POST /api/workflow/:id'])
  })
})

describe('problemResponse', () => {
  it('documents application/problem+json with the shared schema', () => {
    expect(problemResponse('Not found')).toEqual({
      description: 'Not found',
      contentType: 'application/problem+json',
      schema: problemSchema,
    })
  })

  it('renders problem+json content in a document', () => {
    const document = documentOf({
      method: 'get',
      path: '/p',
      summary: 's',
      responses: { 404: problemResponse('No') },
    })
    const response = (operation(document, '/p', 'get').responses as Record<string, Json>)['404']
    expect(Object.keys((response?.content as Json) ?? {})).toEqual(['application/problem+json'])
  })
})
