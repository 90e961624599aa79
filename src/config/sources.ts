/** @module Where a setting's value came from, and how that place is named in messages. */

export type SettingSource =
  | { kind: 'default' }
  | { kind: 'file'; path: string; line?: number; column?: number }
  | { kind: 'env'; name: string }
  | { kind: 'flag'; name: string }

/** `flowgate.toml:3:8`, `env FLOWGATE_SERVER_PORT`, `flag --port`, `default`. */
export function describeSource(source: SettingSource): string {
  switch (source.kind) {
    case 'default':
      return 'default'
    case 'file':
      return source.line === undefined ? source.path : `${source.path}:${source.line}:${source.column ?? 1}`
    case 'env':
      return `env ${source.name}`
    case 'flag':
      return `flag ${source.name}`
  }
}

/** One reason the configuration cannot be used. */
export interface ConfigIssue {
  /** Where the bad value came from, as describeSource() names it. */
  source: string
  /** The setting, `section.key`, when one is concerned. */
  setting?: string
  message: string
}

/** Thrown by resolveConfig; the CLI prints every issue and exits 2. */
export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[]

  constructor(issues: readonly ConfigIssue[]) {
    super(
      `invalid configuration:\n${issues
        .map((issue) => `  ${issue.source}: ${issue.setting ? `${issue.setting}: ` : ''}${issue.message}`)
        .join('\n')}`
    )
    this.name = 'ConfigError'
    this.issues = issues
  }
}
