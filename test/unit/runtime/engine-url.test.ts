import { describe, expect, it } from 'vitest'
import { credentialsOf, engineUrl } from '../../../src/runtime/engine-url.ts'

describe('the engine URL taken apart', () => {
  it('gives host, port, path prefix and decoded credentials', () => {
    expect(engineUrl('http://flow:p%40ss@[::1]:8080/conductor/')).toEqual({
      protocol: 'http:',
      hostname: '::1',
      port: '8080',
      host: '[::1]:8080',
      prefix: '/conductor',
      credentials: 'flow:p@ss',
    })
    expect(engineUrl('http://conductor')).toMatchObject({
      port: '',
      host: 'conductor',
      prefix: '',
      credentials: undefined,
    })
  })

  it('keeps credentials that are not valid percent-encoding as written, rather than failing', () => {
    expect(credentialsOf(new URL('http://us%zzer:p%@h/'))).toBe('us%zzer:p%')
  })
})
