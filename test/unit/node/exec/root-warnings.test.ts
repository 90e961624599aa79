import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildExecApp } from './exec-app.ts'
import { createFixtureRoot, type FixtureRoot } from './fixture-root.ts'

// The fixture tree belongs to the test user, so everything in it is writable by "the service".
let fixture: FixtureRoot

beforeAll(() => {
  fixture = createFixtureRoot()
})
afterAll(() => fixture.remove())

const warnings = (app: ReturnType<typeof buildExecApp>) =>
  app
    .logs()
    .filter((line) => line.msg === 'exec root warning')
    .map((line) => String((line as { warning?: unknown }).warning))

describe('start-up warnings', () => {
  it('names writable directories inside the root, not only the root (a swapped directory defeats the path check)', () => {
    const writable = warnings(buildExecApp(fixture.root)).find((warning) => warning.startsWith('writable'))
    expect(writable).toContain(fixture.root)
    expect(writable).toContain(join(fixture.root, 'sub'))
  })

  it('names writable allow-listed files in allow-list mode', () => {
    const commands = JSON.stringify({ greet: { path: join(fixture.root, 'args') } })
    const found = warnings(buildExecApp(undefined, { FLOWGATE_EXEC_COMMANDS: commands }))
    expect(found.find((warning) => warning.startsWith('writable'))).toContain(join(fixture.root, 'args'))
  })
})
