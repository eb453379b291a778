import { type CaseRequest, type RequestKey, requestKeys } from '@pocnet/cases'

/**
 * The cases of this node by what they are found by: the requester's references and the
 * identifiers of each request, normalised (`@pocnet/cases` identifier-keys.ts). In memory, one
 * map lookup a key: built as the book is rebuilt at start and extended as cases open, since a
 * request never changes once sent. A case's status is read from the book at lookup time.
 */
export class CaseIndex {
  /** Key → case id → the fields of that case holding it. */
  readonly #byKey = new Map<string, Map<string, string[]>>()
  readonly #keysOf = new Map<string, readonly RequestKey[]>()

  /** Indexes a case's request; again for the same case, nothing changes. */
  add(caseId: string, request: CaseRequest): void {
    if (this.#keysOf.has(caseId)) return
    const keys = requestKeys(request)
    this.#keysOf.set(caseId, keys)
    for (const { key, path } of keys) {
      let cases = this.#byKey.get(key)
      if (cases === undefined) {
        cases = new Map()
        this.#byKey.set(key, cases)
      }
      const paths = cases.get(caseId)
      if (paths === undefined) cases.set(caseId, [path])
      else if (!paths.includes(path)) paths.push(path)
    }
  }

  /** The cases holding `key`, each with the fields that hold it. */
  lookup(key: string): ReadonlyMap<string, readonly string[]> {
    return this.#byKey.get(key) ?? new Map()
  }

  /** The keys case `caseId` is indexed under. */
  keysOf(caseId: string): readonly RequestKey[] {
    return this.#keysOf.get(caseId) ?? []
  }

  /** Distinct keys held: for the memory figure in docs/performance.md. */
  get size(): number {
    return this.#byKey.size
  }
}
