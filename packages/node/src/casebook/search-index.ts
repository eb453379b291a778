import { type CaseEvent, type CaseRequest, identifierKey, identifiersOf, requestKeys } from '@pocnet/cases'

/** One place a key is held: the case, and the field of its request. */
export interface KeyPlace {
  readonly caseId: string
  readonly path: string
}

/**
 * The cases of this node by what they are found by: the requester's references and the
 * identifiers of each request, normalised (`@pocnet/cases` identifier-keys.ts). In memory, one
 * map lookup a key: built as the book is rebuilt at start and extended as cases open (a request
 * never changes once sent) and as steps carrying identifiers come. A case's status is read from the book at lookup time.
 * Places are plain lists, not maps: most keys belong to one case (docs/performance.md).
 */
export class CaseIndex {
  readonly #byKey = new Map<string, KeyPlace[]>()
  readonly #indexed = new Set<string>()
  /** The steps whose identifiers are indexed, by event id: only those that carry some. */
  readonly #indexedSteps = new Set<string>()
  /** One copy of each field path: every case of a form holds the same few. */
  readonly #paths = new Map<string, string>()

  /** Indexes a case's request; again for the same case, nothing changes. */
  add(caseId: string, request: CaseRequest): void {
    if (this.#indexed.has(caseId)) return
    this.#indexed.add(caseId)
    for (const { key, path } of requestKeys(request)) this.#put(key, caseId, path)
  }

  /**
   * Indexes the identifiers a case's steps carry (an Art. 30 disclosure names those of the next
   * provider), each step once, at `<kind>@<seq>.identifiers[i]`.
   */
  addSteps(caseId: string, history: readonly CaseEvent[]): void {
    for (const event of history) {
      if (this.#indexedSteps.has(event.id)) continue
      const found = identifiersOf(event)
      if (found.length === 0) continue
      this.#indexedSteps.add(event.id)
      for (const { identifier, path } of found) {
        const key = identifierKey(identifier)
        if (key !== undefined) this.#put(key, caseId, `${event.kind}@${event.seq}.${path}`)
      }
    }
  }

  #put(key: string, caseId: string, written: string): void {
    let path = this.#paths.get(written)
    if (path === undefined) {
      path = written
      this.#paths.set(path, path)
    }
    const places = this.#byKey.get(key)
    if (places === undefined) this.#byKey.set(key, [{ caseId, path }])
    else places.push({ caseId, path })
  }

  /** Where `key` is held, case by case and field by field. */
  lookup(key: string): readonly KeyPlace[] {
    return this.#byKey.get(key) ?? []
  }

  /** Distinct keys held. */
  get size(): number {
    return this.#byKey.size
  }
}
