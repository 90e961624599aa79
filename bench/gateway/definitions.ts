/**
 * @module The upstream's answers: 200 workflow definitions of tenant `acme` as Conductor stores
 * them (`acme___wf<i>`, four tasks each, one of them a shared GLOBAL___ type), and a small JSON.
 */

export const TENANT = 'acme'
export const DEFINITIONS = 200

function task(name: string, ref: string): Record<string, unknown> {
  return {
    name,
    taskReferenceName: ref,
    inputParameters: { value: `\${workflow.input.${ref}}` },
    type: 'SIMPLE',
    startDelay: 0,
    optional: false,
    asyncComplete: false,
    permissive: false,
  }
}

function definition(i: number): Record<string, unknown> {
  return {
    createTime: 1_700_000_000_000 + i,
    updatedBy: 'bench',
    name: `${TENANT}___wf${i}`,
    description: `Benchmark workflow ${i} - OPS,NETWORK`,
    version: 1,
    tasks: [
      task(`${TENANT}___fetch`, 'fetch'),
      task(`${TENANT}___transform`, 'transform'),
      task('GLOBAL___notify', 'notify'),
      task(`${TENANT}___store`, 'store'),
    ],
    inputParameters: ['fetch', 'transform', 'notify', 'store'],
    outputParameters: { result: `\${store.output.result}` },
    failureWorkflow: '',
    schemaVersion: 2,
    restartable: true,
    workflowStatusListenerEnabled: false,
    ownerEmail: 'bench@example.com',
    timeoutPolicy: 'ALERT_ONLY',
    timeoutSeconds: 0,
    variables: {},
    inputTemplate: {},
  }
}

/** The list body Conductor's GET /api/metadata/workflow would send. */
export const LIST_BODY = Buffer.from(
  JSON.stringify(Array.from({ length: DEFINITIONS }, (_, i) => definition(i)))
)

const STAMP_AT = LIST_BODY.indexOf('1700000000000')
let served = 0

/**
 * The list as an engine whose definitions keep changing would send it: a fresh copy on every call
 * with the first definition's createTime counting up (same size, valid JSON), so nothing that
 * remembers an earlier answer can reuse its work.
 */
export function changedListBody(): Buffer {
  const body = Buffer.from(LIST_BODY)
  body.write(String(1_700_000_000_000 + (++served % 1_000_000)), STAMP_AT, 'latin1')
  return body
}

/** Requests carrying this header get changedListBody() (flowgate forwards `traceparent`). */
export const CHANGING = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }

/** The answer of every other path (a queue-size lookup in shape). */
export const SMALL_BODY = Buffer.from(JSON.stringify({ GLOBAL___notify: 0 }))

/** The pass-through path: not a poll, so the task proxy forwards it as it is. */
export const PASS_PATH = '/api/tasks/queue/sizes?taskType=GLOBAL___notify'
export const LIST_PATH = '/api/metadata/workflow'
