import type { CborValue } from '@pocnet/protocol'

/** Builds the error for a field that breaks a rule; each decoder passes its own typed error. */
export type FieldFailure = (field: string, rule: string) => Error

export type CborMap = { [key: string]: CborValue }

/** Reads a decoded CBOR map whose keys must be exactly `required` plus any of `optional`. */
export class FieldReader {
  readonly #map: CborMap
  readonly #path: string
  readonly #fail: FieldFailure

  constructor(
    value: CborValue,
    path: string,
    fail: FieldFailure,
    required: string[],
    optional: string[] = [],
  ) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) {
      throw fail(path, 'must be a map')
    }
    for (const key of required) {
      if (!Object.hasOwn(value, key)) throw fail(`${path}.${key}`, 'is required')
    }
    for (const key of Object.keys(value)) {
      if (!required.includes(key) && !optional.includes(key))
        throw fail(`${path}.${key}`, 'is not a known field')
    }
    this.#map = value
    this.#path = path
    this.#fail = fail
  }

  has(key: string): boolean {
    return Object.hasOwn(this.#map, key)
  }

  raw(key: string): CborValue {
    return this.#map[key] as CborValue
  }

  field(key: string): string {
    return `${this.#path}.${key}`
  }

  fail(key: string, rule: string): Error {
    return this.#fail(this.field(key), rule)
  }

  text(
    key: string,
    maxLength: number,
    pattern?: RegExp | ((text: string) => boolean),
    patternRule?: string,
  ): string {
    const v = this.#map[key]
    if (typeof v !== 'string') throw this.fail(key, 'must be a text string')
    if (pattern !== undefined && !(typeof pattern === 'function' ? pattern(v) : pattern.test(v)))
      throw this.fail(key, patternRule ?? `must match ${pattern}`)
    if (v.length === 0 || v.length > maxLength) throw this.fail(key, `must be 1-${maxLength} characters`)
    return v
  }

  integer(key: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.#map[key]
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw this.fail(key, 'must be an integer')
    if (v < min || v > max) throw this.fail(key, `must be within ${min}..${max}`)
    return v
  }

  bytes(key: string, length: number): Uint8Array {
    const v = this.#map[key]
    if (!(v instanceof Uint8Array)) throw this.fail(key, 'must be a byte string')
    if (v.length !== length) throw this.fail(key, `must be ${length} bytes`)
    return v
  }

  array(key: string, maxLength: number, minLength = 0): CborValue[] {
    const v = this.#map[key]
    if (!Array.isArray(v)) throw this.fail(key, 'must be an array')
    if (v.length < minLength || v.length > maxLength)
      throw this.fail(key, `must hold ${minLength}-${maxLength} items`)
    return v
  }

  textList(
    key: string,
    maxItems: number,
    maxLength: number,
    pattern?: RegExp | ((item: string) => boolean),
    patternRule?: string,
  ): string[] {
    const items = this.array(key, maxItems)
    const out: string[] = []
    for (const [i, item] of items.entries()) {
      const field = `${this.field(key)}[${i}]`
      if (typeof item !== 'string') throw this.#fail(field, 'must be a text string')
      if (pattern !== undefined && !(typeof pattern === 'function' ? pattern(item) : pattern.test(item)))
        throw this.#fail(field, patternRule ?? `must match ${pattern}`)
      if (item.length === 0 || item.length > maxLength)
        throw this.#fail(field, `must be 1-${maxLength} characters`)
      if (out.includes(item)) throw this.#fail(field, 'repeats an earlier item')
      out.push(item)
    }
    return out
  }
}
