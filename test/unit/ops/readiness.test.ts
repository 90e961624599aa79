import { describe, expect, it } from 'vitest'
import { type CheckResult, Readiness, type ReadinessCheck } from '../../../src/ops/readiness.ts'

const pass: ReadinessCheck = async () => {}

function resultOf(checks: CheckResult[], name: string): CheckResult {
  const result = checks.find((check) => check.name === name)
  if (!result) throw new Error(`no result for ${name}`)
  return result
}

describe('Readiness.register', () => {
  it.each(['a', 'conductor', 'db.primary', 'camunda-engine', 'tenant_list', '0k', 'x'.repeat(63)])(
    'accepts the name %j',
    (name) => {
      const readiness = new Readiness()
      readiness.register(name, pass)
      expect(readiness.names).toEqual([name])
    }
  )

  it.each(['', 'Conductor', '-db', '.db', '_db', 'a b', 'a/b', 'db\n', 'é', 'x'.repeat(64)])(
    'refuses the name %j',
    (name) => {
      expect(() => new Readiness().register(name, pass)).toThrow(/must match/)
    }
  )

  it('refuses a name registered twice', () => {
    const readiness = new Readiness()
    readiness.register('engine', pass)
    expect(() => readiness.register('engine', pass)).toThrow(/already registered/)
  })

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31])(
    'refuses the timeout %d ms',
    (timeoutMs) => {
      expect(() => new Readiness().register('engine', pass, { timeoutMs })).toThrow(/timeoutMs/)
    }
  )

  it.each([1, 2_147_483_647])('accepts the timeout %d ms', (timeoutMs) => {
    expect(() => new Readiness().register('engine', pass, { timeoutMs })).not.toThrow()
  })

  it('lists names in registration order', () => {
    const readiness = new Readiness()
    for (const name of ['b', 'a', 'c']) readiness.register(name, pass)
    expect(readiness.names).toEqual(['b', 'a', 'c'])
  })
})

describe('Readiness.run', () => {
  it('is ready with no checks', async () => {
    expect(await new Readiness().run()).toEqual({ ready: true, checks: [] })
  })

  it('is ready when every check passes, reporting each with its time', async () => {
    const readiness = new Readiness()
    readiness.register('one', pass)
    readiness.register('two', pass)
    const report = await readiness.run()
    expect(report.ready).toBe(true)
    expect(report.checks.map(({ name, ok }) => ({ name, ok }))).toEqual([
      { name: 'one', ok: true },
      { name: 'two', ok: true },
    ])
    for (const check of report.checks) {
      expect(Number.isInteger(check.ms)).toBe(true)
      expect(check.ms).toBeGreaterThanOrEqual(0)
      expect(check).not.toHaveProperty('error')
    }
  })

  it('is not ready when one check rejects, and keeps its error', async () => {
    const readiness = new Readiness()
    const refused = new Error('connection refused')
    readiness.register('fine', pass)
    readiness.register('engine', async () => {
      throw refused
    })
    const report = await readiness.run()
    expect(report.ready).toBe(false)
    expect(resultOf(report.checks, 'fine').ok).toBe(true)
    expect(resultOf(report.checks, 'engine')).toMatchObject({ ok: false, error: refused })
  })

  it('reports a check that throws before returning a promise', async () => {
    const readiness = new Readiness()
    readiness.register('sync', () => {
      throw new Error('thrown at once')
    })
    const report = await readiness.run()
    expect(resultOf(report.checks, 'sync')).toMatchObject({ ok: false, error: new Error('thrown at once') })
  })

  it('times out a check that never settles and aborts its signal', async () => {
    const readiness = new Readiness()
    let seen: AbortSignal | undefined
    readiness.register(
      'hangs',
      (signal) => {
        seen = signal
        return new Promise(() => {})
      },
      { timeoutMs: 20 }
    )
    const started = performance.now()
    const report = await readiness.run()
    expect(performance.now() - started).toBeLessThan(1_000)
    const result = resultOf(report.checks, 'hangs')
    expect(result.ok).toBe(false)
    expect(result.error).toMatchObject({ name: 'TimeoutError' })
    expect(result.ms).toBeGreaterThanOrEqual(15)
    expect(seen?.aborted).toBe(true)
  })

  it('gives each check a signal that is not yet aborted', async () => {
    const readiness = new Readiness()
    let aborted: boolean | undefined
    readiness.register('peek', async (signal) => {
      aborted = signal.aborted
    })
    await readiness.run()
    expect(aborted).toBe(false)
  })

  it('runs the checks concurrently', async () => {
    const readiness = new Readiness()
    let started!: () => void
    const secondStarted = new Promise<void>((resolve) => {
      started = resolve
    })
    readiness.register('first', () => secondStarted, { timeoutMs: 1_000 })
    readiness.register('second', async () => started())
    const report = await readiness.run()
    expect(report.ready).toBe(true)
  })

  it('runs every check anew on each run', async () => {
    const readiness = new Readiness()
    let calls = 0
    readiness.register('count', async () => {
      calls++
    })
    await readiness.run()
    await readiness.run()
    expect(calls).toBe(2)
  })
})
