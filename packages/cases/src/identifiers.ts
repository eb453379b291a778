import { IDENTIFIER_TYPES } from './constants.ts'
import {
  checkDomain,
  checkEmail,
  checkPhone,
  checkTimestamp,
  checkUrl,
  type FormatCheck,
  isIPv4,
  isIPv6,
} from './formats.ts'
import { type FormReader, joinPath } from './problems.ts'

interface IdentifierBase {
  /** When the identifier was seen, with its UTC offset; mandatory for IP addresses. */
  readonly timestamp?: string
  /** What this identifier is to the case (victim's account, attacker's IP...). */
  readonly note?: string
}

export interface IpIdentifier extends IdentifierBase {
  readonly type: 'ip'
  /** IPv4 or IPv6, as written. */
  readonly address: string
  /** Source port: behind carrier-grade NAT one address is shared, and only the port tells users apart. */
  readonly port?: number
  readonly timestamp: string
  /** End of the period of use, when the address was seen over a span of time. */
  readonly until?: string
  readonly transport?: 'tcp' | 'udp'
}
export interface EmailIdentifier extends IdentifierBase {
  readonly type: 'email'
  readonly address: string
}
export interface AccountIdentifier extends IdentifierBase {
  readonly type: 'account'
  readonly service: string
  readonly username: string
}
export interface UrlIdentifier extends IdentifierBase {
  readonly type: 'url'
  readonly url: string
}
export interface DomainIdentifier extends IdentifierBase {
  readonly type: 'domain'
  readonly domain: string
}
export interface PhoneIdentifier extends IdentifierBase {
  readonly type: 'phone'
  readonly number: string
}
export interface OtherIdentifier extends IdentifierBase {
  readonly type: 'other'
  readonly description: string
  readonly value: string
}

export type Identifier =
  | IpIdentifier
  | EmailIdentifier
  | AccountIdentifier
  | UrlIdentifier
  | DomainIdentifier
  | PhoneIdentifier
  | OtherIdentifier

const COMMON = ['type', 'timestamp', 'note']
const FIELDS: Record<Identifier['type'], readonly string[]> = {
  ip: [...COMMON, 'address', 'port', 'until', 'transport'],
  email: [...COMMON, 'address'],
  account: [...COMMON, 'service', 'username'],
  url: [...COMMON, 'url'],
  domain: [...COMMON, 'domain'],
  phone: [...COMMON, 'number'],
  other: [...COMMON, 'description', 'value'],
}

type Fields = Record<string, unknown>

/** Reads a text field and runs a format check on it, reporting the reason at the field's path. */
export function readFormatted<T>(
  reader: FormReader,
  fields: Fields,
  key: string,
  path: string,
  required: boolean,
  check: (text: string) => FormatCheck<T>,
): T | undefined {
  const text = reader.string(fields, key, path, { required, max: 2048 })
  if (text === undefined) return undefined
  const checked = check(text)
  if (!checked.ok) return reader.report(joinPath(path, key), 'format', checked.reason)
  return checked.value
}

/** Reads a timestamp field; the value keeps the offset it was written with. */
export function readTimestamp(
  reader: FormReader,
  fields: Fields,
  key: string,
  path: string,
  required: boolean,
): string | undefined {
  return readFormatted(reader, fields, key, path, required, checkTimestamp)?.text
}

function readIp(reader: FormReader, fields: Fields, path: string): IpIdentifier | undefined {
  const address = reader.string(fields, 'address', path, { required: true, max: 64 })
  const port = reader.integer(fields, 'port', path, { required: false, min: 0, max: 65_535 })
  const valid = address !== undefined && (isIPv4(address) || isIPv6(address))
  if (address !== undefined && !valid) {
    reader.report(
      joinPath(path, 'address'),
      'format',
      `'${address}' is not an IPv4 or IPv6 address; write it like 192.0.2.10 or 2001:db8::10, port in the port field`,
    )
  }
  const at = joinPath(path, 'timestamp')
  let timestamp: string | undefined
  if (!reader.present(fields, 'timestamp')) {
    reader.report(
      at,
      'required',
      'is required for an IP address: addresses are reassigned, so a provider can only find the user ' +
        'with the exact time and its UTC offset, like 2026-11-28T14:03:00+01:00',
    )
  } else {
    timestamp = readTimestamp(reader, fields, 'timestamp', path, true)
  }
  const until = readTimestamp(reader, fields, 'until', path, false)
  if (timestamp !== undefined && until !== undefined) {
    const from = checkTimestamp(timestamp)
    const to = checkTimestamp(until)
    if (from.ok && to.ok && to.value.epochMs < from.value.epochMs) {
      reader.report(
        joinPath(path, 'until'),
        'consistency',
        'is before timestamp; the period of use must end after it starts',
      )
    }
  }
  const transport = reader.oneOf(fields, 'transport', path, ['tcp', 'udp'] as const, false)
  const note = reader.string(fields, 'note', path, { required: false, max: 500 })
  if (address === undefined || !valid || timestamp === undefined) return undefined
  return {
    type: 'ip',
    address,
    timestamp,
    ...(port !== undefined && { port }),
    ...(until !== undefined && { until }),
    ...(transport !== undefined && { transport }),
    ...(note !== undefined && { note }),
  }
}

/** Reads one structured identifier from untrusted input, reporting every problem into `reader`. */
export function readIdentifier(reader: FormReader, value: unknown, path: string): Identifier | undefined {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const type = reader.oneOf(value as Fields, 'type', path, IDENTIFIER_TYPES, true)
    if (type === undefined) return undefined
    const fields = reader.object(value, path, FIELDS[type])
    if (fields === undefined) return undefined
    if (type === 'ip') return readIp(reader, fields, path)
    const timestamp = readTimestamp(reader, fields, 'timestamp', path, false)
    const note = reader.string(fields, 'note', path, { required: false, max: 500 })
    const extra = { ...(timestamp !== undefined && { timestamp }), ...(note !== undefined && { note }) }
    switch (type) {
      case 'email': {
        const address = readFormatted(reader, fields, 'address', path, true, checkEmail)
        return address === undefined ? undefined : { type, address, ...extra }
      }
      case 'account': {
        const service = reader.string(fields, 'service', path, { required: true, max: 200 })
        const username = reader.string(fields, 'username', path, { required: true, max: 500 })
        return service === undefined || username === undefined
          ? undefined
          : { type, service, username, ...extra }
      }
      case 'url': {
        const url = readFormatted(reader, fields, 'url', path, true, checkUrl)
        return url === undefined ? undefined : { type, url, ...extra }
      }
      case 'domain': {
        const domain = readFormatted(reader, fields, 'domain', path, true, checkDomain)
        return domain === undefined ? undefined : { type, domain, ...extra }
      }
      case 'phone': {
        const number = readFormatted(reader, fields, 'number', path, true, checkPhone)
        return number === undefined ? undefined : { type, number, ...extra }
      }
      case 'other': {
        const description = reader.string(fields, 'description', path, { required: true, max: 500 })
        const text = reader.string(fields, 'value', path, { required: true, max: 2048 })
        return description === undefined || text === undefined
          ? undefined
          : { type, description, value: text, ...extra }
      }
    }
  }
  // Not a group of fields: let the reader say so (null, a list, a bare string...).
  reader.object(value, path, [])
  return undefined
}
