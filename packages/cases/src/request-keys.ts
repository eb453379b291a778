import { IDENTIFIER_TYPES } from './constants.ts'
import { identifierKey, referenceKey, usernameKey } from './identifier-keys.ts'
import type { Identifier } from './identifiers.ts'
import { joinPath } from './problems.ts'
import type { CaseRequest } from './requests.ts'

/** One thing a request is found by: its index key, and the field that holds it. */
export interface RequestKey {
  readonly key: string
  /** The field path in the form, e.g. `data.identifiers[2]` or `investigatingAuthority.reference`. */
  readonly path: string
  /**
   * Whether the key names the thing itself, so another open case holding it is worth a warning:
   * an identifier, not a reference nor an account's bare user name.
   */
  readonly repeatable: boolean
}

/** An identifier where a form holds one, with its path. */
export interface LocatedIdentifier {
  readonly identifier: Identifier
  readonly path: string
}

const isIdentifier = (v: unknown): v is Identifier =>
  typeof v === 'object' &&
  v !== null &&
  (IDENTIFIER_TYPES as readonly unknown[]).includes((v as { type?: unknown }).type)

/**
 * Every identifier of a request, wherever its form keeps them (`identifiers`, `data.identifiers`,
 * `suspect.identifiers`…): found by walking the form, so a new form's lists are found too.
 */
export function identifiersOf(request: unknown): LocatedIdentifier[] {
  const found: LocatedIdentifier[] = []
  const walk = (value: unknown, path: string): void => {
    if (typeof value !== 'object' || value === null) return
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        walk(v, joinPath(path, i))
      })
      return
    }
    for (const [k, v] of Object.entries(value)) {
      if (k === 'identifiers' && Array.isArray(v)) {
        v.forEach((id, i) => {
          if (isIdentifier(id)) found.push({ identifier: id, path: joinPath(joinPath(path, k), i) })
        })
      } else walk(v, joinPath(path, k))
    }
  }
  walk(request, '')
  return found
}

/** The requester's own references in a form: its case, the investigation's, those of related and earlier requests. */
export function referencesOf(request: CaseRequest): Array<{ reference: string; path: string }> {
  const r = request as CaseRequest & { extensionOf?: string; preservationReference?: string }
  const refs: Array<{ reference: string; path: string }> = [
    { reference: r.caseReference, path: 'caseReference' },
  ]
  const investigation = r.investigatingAuthority?.reference
  if (investigation !== undefined)
    refs.push({ reference: investigation, path: 'investigatingAuthority.reference' })
  r.relatedCases.forEach((c, i) => {
    refs.push({ reference: c.reference, path: `relatedCases[${i}].reference` })
  })
  if (r.extensionOf !== undefined) refs.push({ reference: r.extensionOf, path: 'extensionOf' })
  if (r.preservationReference !== undefined)
    refs.push({ reference: r.preservationReference, path: 'preservationReference' })
  return refs
}

/** Every key a request is indexed under. */
export function requestKeys(request: CaseRequest): RequestKey[] {
  const keys: RequestKey[] = referencesOf(request).map(({ reference, path }) => ({
    key: referenceKey(reference),
    path,
    repeatable: false,
  }))
  for (const { identifier, path } of identifiersOf(request)) {
    const key = identifierKey(identifier)
    if (key !== undefined) keys.push({ key, path, repeatable: true })
    const username = usernameKey(identifier)
    if (username !== undefined) keys.push({ key: username, path, repeatable: false })
  }
  return keys
}

/** An identifier of a request that other open cases hold, as a warning names it: never its value. */
export interface RepeatedIdentifierText {
  readonly type: string
  readonly path: string
  readonly cases: ReadonlyArray<{ readonly id: string; readonly country: string; readonly status: string }>
}

/** "ip at data.identifiers[0] is also in open case FR-20261128-0a1b2c3d (FR, preserved)". */
export function repeatedText(r: RepeatedIdentifierText): string {
  return `${r.type} at ${r.path} is also in open case ${r.cases
    .map((c) => `${c.id} (${c.country}, ${c.status})`)
    .join(', ')}`
}
