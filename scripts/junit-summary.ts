/** @module Sums JUnit XML reports of several runners into one `N passed, N failed` line. */
import { readFileSync } from 'node:fs'

export interface Tally {
  tests: number
  failed: number
  skipped: number
}

const ROOT = /<testsuites\b([^>]*)>/
const SUITE = /<testsuite\b([^>]*)>/g

function attribute(attributes: string, name: string): number {
  const match = new RegExp(`\\b${name}="(\\d+)"`).exec(attributes)
  return match?.[1] ? Number(match[1]) : 0
}

function fromAttributes(attributes: string): Tally {
  return {
    tests: attribute(attributes, 'tests'),
    failed: attribute(attributes, 'failures') + attribute(attributes, 'errors'),
    skipped: attribute(attributes, 'skipped') + attribute(attributes, 'disabled'),
  }
}

/** The totals of one JUnit document: the root's when it has them, else the suites' sum. */
export function tallyJunit(xml: string): Tally {
  const root = ROOT.exec(xml)
  if (root?.[1] && /\btests="/.test(root[1])) return fromAttributes(root[1])
  const total: Tally = { tests: 0, failed: 0, skipped: 0 }
  for (const suite of xml.matchAll(SUITE)) {
    const tally = fromAttributes(suite[1] ?? '')
    total.tests += tally.tests
    total.failed += tally.failed
    total.skipped += tally.skipped
  }
  return total
}

export function tallyFile(path: string): Tally {
  return tallyJunit(readFileSync(path, 'utf8'))
}

export function addTallies(tallies: readonly Tally[]): Tally {
  return tallies.reduce(
    (sum, t) => ({
      tests: sum.tests + t.tests,
      failed: sum.failed + t.failed,
      skipped: sum.skipped + t.skipped,
    }),
    { tests: 0, failed: 0, skipped: 0 }
  )
}

export function passed(tally: Tally): number {
  return tally.tests - tally.failed - tally.skipped
}
