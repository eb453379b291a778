import type { CborValue } from './cbor.ts'
import { MessageFieldError } from './errors.ts'
import { MAX_NETWORK_ID_LENGTH, NETWORK_ID_PATTERN, NETWORK_ID_RULE } from './formats.ts'

type CborMap = { [key: string]: CborValue }

const textEncoder = new TextEncoder()

/** The decoded value as a map holding exactly `required` keys plus any of `optional`. */
export function mapWithKeys(
  value: CborValue,
  field: string,
  required: readonly string[],
  optional: readonly string[] = [],
): CborMap {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) {
    throw new MessageFieldError(field, 'must be a map')
  }
  for (const key of required) {
    if (!(key in value)) throw new MessageFieldError(`${field}.${key}`, 'is missing')
  }
  for (const key of Object.keys(value)) {
    if (!required.includes(key) && !optional.includes(key)) {
      throw new MessageFieldError(`${field}.${key}`, 'is not a known field')
    }
  }
  return value
}

export function bytesField(map: CborMap, key: string, field: string, length?: number): Uint8Array {
  const value = map[key]
  if (!(value instanceof Uint8Array)) throw new MessageFieldError(`${field}.${key}`, 'must be a byte string')
  if (length !== undefined && value.length !== length) {
    throw new MessageFieldError(`${field}.${key}`, `must be ${length} bytes, not ${value.length}`)
  }
  return value
}

export function textField(map: CborMap, key: string, field: string, limits: TextLimits): string {
  const value = map[key]
  if (typeof value !== 'string') throw new MessageFieldError(`${field}.${key}`, 'must be a text string')
  checkText(value, `${field}.${key}`, limits)
  return value
}

/** A text field's size in UTF-8 bytes and, when it has one, its rule (`ruleText` says it in words). */
export interface TextLimits {
  minBytes: number
  maxBytes: number
  rule?: RegExp
  ruleText?: string
}

/** A network id (`net` of envelopes and receipts): ASCII, so its bytes are its characters. */
export const NETWORK_ID_LIMITS: TextLimits = {
  minBytes: 1,
  maxBytes: MAX_NETWORK_ID_LENGTH,
  rule: NETWORK_ID_PATTERN,
  ruleText: `must be ${NETWORK_ID_RULE}`,
}

export function checkText(value: string, field: string, limits: TextLimits): void {
  const size = textEncoder.encode(value).length
  if (size < limits.minBytes || size > limits.maxBytes) {
    throw new MessageFieldError(
      field,
      `must be ${limits.minBytes}-${limits.maxBytes} bytes of UTF-8, not ${size}`,
    )
  }
  if (limits.rule !== undefined && !limits.rule.test(value)) {
    throw new MessageFieldError(field, limits.ruleText ?? `must match ${limits.rule}`)
  }
}

/** Milliseconds since the Unix epoch, UTC: a non-negative safe integer. */
export function timeField(map: CborMap, key: string, field: string): number {
  const value = map[key]
  if (typeof value !== 'number') throw new MessageFieldError(`${field}.${key}`, 'must be an integer')
  checkTime(value, `${field}.${key}`)
  return value
}

export function checkTime(value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new MessageFieldError(field, 'must be milliseconds since the Unix epoch (a non-negative integer)')
  }
}

export function versionField(map: CborMap, field: string, version: number): void {
  if (map.v !== version) throw new MessageFieldError(`${field}.v`, `must be version ${version}`)
}
