/**
 * @module The httpexec request body as a zod schema. `null` means "absent" everywhere, as
 * httpexec's OpenAPI spec says (httpexec itself answered 500 for several of them). Unknown keys
 * are ignored, as httpexec does; `timeout` is flowgate's own addition.
 */
import { z } from 'zod'
import { ENCODINGS } from './encodings.ts'

/** POSIX portable environment names; also rules out `=` smuggling (`PATH=/evil:x`) and NUL. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
const wellFormed = (value: string) => !LONE_SURROGATE.test(value)

/** A string that can become an argv item or env value: no NUL, no lone surrogates. */
const argText = z
  .string({ error: 'expected a string' })
  .refine((value) => !value.includes('\0'), 'must not contain NUL')
  .refine(wellFormed, 'must be valid Unicode (no lone surrogates)')

const encodeField = z
  .enum(ENCODINGS, { error: 'expected "base64", "base85" or null (names are case-sensitive)' })
  .nullish()

const outputSpec = z
  .object(
    {
      capture: z.boolean({ error: 'expected true or false' }).nullish(),
      encode: encodeField,
    },
    { error: 'expected an object such as {"capture": true}' }
  )
  .nullish()

export const execRequestSchema = z.object(
  {
    args: z.array(argText, { error: 'expected an array of strings' }).nullish(),
    stdin: z
      .object(
        {
          content: z
            .string({ error: 'expected a string' })
            .refine(wellFormed, 'must be valid Unicode (no lone surrogates)')
            .nullish(),
          encode: encodeField,
        },
        { error: 'expected an object such as {"content": "..."}' }
      )
      .nullish(),
    stdout: outputSpec,
    stderr: outputSpec,
    environment: z
      .record(z.string().regex(ENV_NAME, 'environment names must match [A-Za-z_][A-Za-z0-9_]*'), argText, {
        error: 'expected an object of string values',
      })
      .nullish(),
    timeout: z
      .number({ error: 'expected a number of seconds' })
      .positive('must be greater than 0')
      .finite()
      .nullish(),
  },
  { error: 'the body must be a JSON object' }
)

export type RawExecRequest = z.output<typeof execRequestSchema>
