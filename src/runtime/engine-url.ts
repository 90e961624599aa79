/** @module The engine's base URL taken apart once, as the runtime entries' own engine clients need it. */

export interface EngineUrl {
  protocol: string
  /** The host name or address (an IPv6 address without its brackets). */
  hostname: string
  /** The port as written (empty for the scheme's default). */
  port: string
  /** `hostname:port` as the Host header carries it. */
  host: string
  /** The URL's path without its trailing `/` (empty for an engine at the root). */
  prefix: string
  /** `user:password` from the URL, decoded (sent as Basic authentication), if it has any. */
  credentials: string | undefined
}

export function engineUrl(baseUrl: string): EngineUrl {
  const url = new URL(baseUrl)
  return {
    protocol: url.protocol,
    hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port,
    host: url.host,
    prefix: url.pathname.replace(/\/+$/, ''),
    credentials: credentialsOf(url),
  }
}

/** `user:password` of a URL, decoded, or undefined when it has none. */
export function credentialsOf(url: URL): string | undefined {
  return url.username || url.password ? `${decoded(url.username)}:${decoded(url.password)}` : undefined
}

/** Percent-decoded, or as written when it is not valid percent-encoding (`%zz`), which URL allows. */
function decoded(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}
