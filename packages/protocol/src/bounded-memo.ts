/**
 * Remembers the answers of a pure function of a text key, holding at most `capacity` of them:
 * the keys can come from hostile input, so an unbounded map would be a memory leak an attacker
 * drives. When full, the oldest answer is forgotten; keys longer than `maxKeyLength` are
 * answered without being remembered, so the memory held stays below capacity × maxKeyLength.
 */
export class BoundedMemo<T> {
  readonly #compute: (key: string) => T
  readonly #capacity: number
  readonly #maxKeyLength: number
  readonly #answers = new Map<string, T>()

  constructor(compute: (key: string) => T, capacity: number, maxKeyLength: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be a positive integer, not ${capacity}`)
    this.#compute = compute
    this.#capacity = capacity
    this.#maxKeyLength = maxKeyLength
  }

  get(key: string): T {
    if (this.#answers.has(key)) return this.#answers.get(key) as T
    const answer = this.#compute(key)
    if (key.length > this.#maxKeyLength) return answer
    if (this.#answers.size >= this.#capacity) {
      // a Map iterates in insertion order: its first key is the oldest
      this.#answers.delete(this.#answers.keys().next().value as string)
    }
    this.#answers.set(key, answer)
    return answer
  }

  /** How many answers are held now (at most the capacity). */
  get size(): number {
    return this.#answers.size
  }
}
