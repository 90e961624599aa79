/** @module Boolean query parameters as Conductor reads them: `true`/`false` in any case (the Python SDK sends `False`). */
import { AppError } from '../errors.ts'

/** The flag's value, `fallback` when absent; anything but true/false in any case is a 400. */
export function queryFlag(value: string | undefined, name: string, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback
  const lower = value.toLowerCase()
  if (lower === 'true') return true
  if (lower === 'false') return false
  throw new AppError('FG_ERR_HTTP_BAD_REQUEST', {
    errors: [{ where: name, message: 'expected true or false' }],
  })
}
