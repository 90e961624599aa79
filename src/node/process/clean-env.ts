/**
 * @module A clean child environment: a fixed PATH and LANG plus configured pass-through names,
 * never flowgate's whole environment (its secrets and loader variables stay with flowgate).
 */

export interface CleanEnvOptions {
  /** PATH the child always gets. */
  path: string
  /** LANG the child always gets. */
  lang: string
  /** Names copied from flowgate's own environment when present. */
  passthrough: readonly string[]
  /** flowgate's own environment (the only read of it, by configured name). */
  source: Readonly<Record<string, string | undefined>>
}

/** The base every child gets; computed once at start-up. */
export function cleanEnv(options: CleanEnvOptions): Record<string, string> {
  const env: Record<string, string> = { PATH: options.path, LANG: options.lang }
  for (const name of options.passthrough) {
    const value = options.source[name]
    if (value !== undefined) env[name] = value
  }
  return env
}
