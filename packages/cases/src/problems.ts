/** What a field broke. Stable strings: the CLI and tests match on them. */
export type Rule =
  | 'required'
  | 'type'
  | 'format'
  | 'enum'
  | 'range'
  | 'min-items'
  | 'must-be-true'
  | 'unknown-field'
  | 'consistency'

/** One thing wrong with a form, located by its field path (`identifiers[2].timestamp`). */
export interface Problem {
  readonly path: string
  readonly rule: Rule
  readonly message: string
}

/** Either the typed value or every problem found; validation never throws on bad input. */
export type Validation<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly problems: readonly Problem[] }

/** One line per problem, path first, as a PoC reads them. */
export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((p) => `${p.path || '(form)'}: ${p.message}`).join('\n')
}

export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`
  return base === '' ? key : `${base}.${key}`
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a group of fields'
  if (typeof value === 'string') return `'${value.length > 60 ? `${value.slice(0, 57)}...` : value}'`
  return `${typeof value} ${String(value)}`
}

type Fields = Record<string, unknown>

/** Levenshtein distance, to suggest the field a misspelt name was meant to be. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      )
    }
    previous = current
  }
  return previous[b.length]!
}

/**
 * Collects problems while reading an untrusted value field by field. Every reader returns
 * `undefined` on a problem instead of throwing, so one pass reports everything at once.
 */
export class FormReader {
  readonly problems: Problem[] = []

  report(path: string, rule: Rule, message: string): undefined {
    this.problems.push({ path, rule, message })
    return undefined
  }

  /** Reads a group of fields; names not in `allowed` are reported so a misspelt field is never dropped silently. */
  object(value: unknown, path: string, allowed: readonly string[]): Fields | undefined {
    if (value === undefined || value === null) return this.report(path, 'required', 'is required')
    if (typeof value !== 'object' || Array.isArray(value)) {
      return this.report(path, 'type', `must be a group of fields, not ${describeValue(value)}`)
    }
    const fields = value as Fields
    for (const key of Object.keys(fields)) {
      if (!allowed.includes(key)) {
        const near = allowed.find((name) => editDistance(name.toLowerCase(), key.toLowerCase()) <= 2)
        const hint =
          near === undefined ? `fields allowed here: ${allowed.join(', ')}` : `did you mean '${near}'?`
        this.report(joinPath(path, key), 'unknown-field', `unknown field; ${hint}`)
      }
    }
    return fields
  }

  /** Whether a problem was already reported at `path` or inside it. */
  reported(path: string): boolean {
    return this.problems.some(
      (p) => p.path === path || p.path.startsWith(`${path}.`) || p.path.startsWith(`${path}[`),
    )
  }

  present(fields: Fields, key: string): boolean {
    return fields[key] !== undefined && fields[key] !== null
  }

  string(
    fields: Fields,
    key: string,
    path: string,
    options: { required: boolean; max?: number },
  ): string | undefined {
    const at = joinPath(path, key)
    const value = fields[key]
    if (value === undefined || value === null) {
      return options.required ? this.report(at, 'required', 'is required') : undefined
    }
    if (typeof value !== 'string') return this.report(at, 'type', `must be text, not ${describeValue(value)}`)
    const text = value.trim()
    if (text === '')
      return options.required ? this.report(at, 'required', 'is required and is empty') : undefined
    const max = options.max ?? 10_000
    if (text.length > max)
      return this.report(at, 'range', `is ${text.length} characters; the limit is ${max}`)
    return text
  }

  integer(
    fields: Fields,
    key: string,
    path: string,
    options: { required: boolean; min: number; max: number },
  ): number | undefined {
    const at = joinPath(path, key)
    const value = fields[key]
    if (value === undefined || value === null) {
      return options.required ? this.report(at, 'required', 'is required') : undefined
    }
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      return this.report(at, 'type', `must be a whole number, not ${describeValue(value)}`)
    }
    if (value < options.min || value > options.max) {
      return this.report(at, 'range', `is ${value}; it must be between ${options.min} and ${options.max}`)
    }
    return value
  }

  boolean(fields: Fields, key: string, path: string, required: boolean): boolean | undefined {
    const at = joinPath(path, key)
    const value = fields[key]
    if (value === undefined || value === null)
      return required ? this.report(at, 'required', 'is required') : undefined
    if (typeof value !== 'boolean')
      return this.report(at, 'type', `must be true or false, not ${describeValue(value)}`)
    return value
  }

  oneOf<T extends string>(
    fields: Fields,
    key: string,
    path: string,
    choices: readonly T[],
    required: boolean,
  ): T | undefined {
    const at = joinPath(path, key)
    const value = fields[key]
    if (value === undefined || value === null)
      return required ? this.report(at, 'required', 'is required') : undefined
    if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
      return this.report(at, 'enum', `is ${describeValue(value)}; use one of: ${choices.join(', ')}`)
    }
    return value as T
  }

  /** Reads a list, each item through `item`; items with problems are left out of the result. */
  list<T>(
    fields: Fields,
    key: string,
    path: string,
    options: { min: number; max?: number },
    item: (value: unknown, path: string) => T | undefined,
  ): T[] | undefined {
    const at = joinPath(path, key)
    const value = fields[key]
    if (value === undefined || value === null) {
      return options.min > 0 ? this.report(at, 'required', 'is required') : []
    }
    if (!Array.isArray(value)) return this.report(at, 'type', `must be a list, not ${describeValue(value)}`)
    if (value.length < options.min) {
      return this.report(at, 'min-items', `needs at least ${options.min} item${options.min === 1 ? '' : 's'}`)
    }
    const max = options.max ?? 1000
    if (value.length > max) return this.report(at, 'range', `has ${value.length} items; the limit is ${max}`)
    const out: T[] = []
    value.forEach((entry, index) => {
      const read = item(entry, joinPath(at, index))
      if (read !== undefined) out.push(read)
    })
    return out
  }
}
