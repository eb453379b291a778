import { randomBytes, scrypt as scryptCb } from 'node:crypto'
import { toHex } from './hash.ts'

/** A key file's scrypt cost: N = 2^log2N, r, p. */
export interface ScryptParameters {
  log2N: number
  r: number
  p: number
}

export const SALT_LENGTH = 16

/** Whether two scrypt costs are the same. */
export function sameScryptParameters(a: ScryptParameters, b: ScryptParameters): boolean {
  return a.log2N === b.log2N && a.r === b.r && a.p === b.p
}

/**
 * The keys one passphrase derives, each scrypt run once per distinct salt and parameters. The
 * node's key files (node.key, witness-mldsa.key, retired keys) are sealed under one passphrase;
 * written through one PassphraseKeys they share a salt, so opening them all costs one scrypt run
 * (about 1 s here, 128 MiB) instead of one per file. Sharing it weakens nothing: each file has its
 * own random 24-byte secretbox nonce, and a guess at the passphrase costs an attacker one run
 * whether the files share a salt or not. `dispose` zeroes the derived keys.
 */
export class PassphraseKeys {
  readonly #passphrase: string
  readonly #derived = new Map<
    string,
    { salt: Uint8Array; params: ScryptParameters; key: Promise<Uint8Array> }
  >()

  #runs = 0

  constructor(passphrase: string) {
    this.#passphrase = passphrase
  }

  /** How many scrypt runs these keys started. */
  get scryptRuns(): number {
    return this.#runs
  }

  get isEmpty(): boolean {
    return this.#passphrase.length === 0
  }

  /** The secretbox key for `salt` and `params`: derived on first use, then shared. */
  derive(salt: Uint8Array, params: ScryptParameters): Promise<Uint8Array> {
    const id = `${params.log2N}.${params.r}.${params.p}.${toHex(salt)}`
    const known = this.#derived.get(id)
    if (known !== undefined) return known.key
    this.#runs++
    const key = deriveKey(this.#passphrase, salt, params)
    // a failed run is not kept: the next call tries again (and reports its own failure)
    key.catch(() => {
      if (this.#derived.get(id)?.key === key) this.#derived.delete(id)
    })
    this.#derived.set(id, { salt: salt.slice(), params: { ...params }, key })
    return key
  }

  /** A salt to seal a new file with: one already derived with `params`, else a fresh random one. */
  sealingSalt(params: ScryptParameters): Uint8Array {
    for (const d of this.#derived.values()) if (sameScryptParameters(d.params, params)) return d.salt.slice()
    return new Uint8Array(randomBytes(SALT_LENGTH))
  }

  /** Zeroes every key derived so far; later calls derive again. */
  async dispose(): Promise<void> {
    const keys = [...this.#derived.values()].map((d) => d.key)
    this.#derived.clear()
    for (const key of await Promise.allSettled(keys)) if (key.status === 'fulfilled') key.value.fill(0)
  }
}

/** A passphrase, or the keys derived from one for files sealed and opened together. */
export type Passphrase = string | PassphraseKeys

/** `passphrase` as keys, and whether the caller made them (and so disposes of them). */
export function passphraseKeys(passphrase: Passphrase): { keys: PassphraseKeys; own: boolean } {
  return typeof passphrase === 'string'
    ? { keys: new PassphraseKeys(passphrase), own: true }
    : { keys: passphrase, own: false }
}

/** scrypt(passphrase NFC, salt) → 32-byte secretbox key. */
function deriveKey(passphrase: string, salt: Uint8Array, params: ScryptParameters): Promise<Uint8Array> {
  const N = 2 ** params.log2N
  return new Promise((resolve, reject) => {
    scryptCb(
      passphrase.normalize('NFC'),
      salt,
      32,
      { N, r: params.r, p: params.p, maxmem: 256 * N * params.r + 1024 * 1024 },
      (err, key) => (err ? reject(err) : resolve(new Uint8Array(key))),
    )
  })
}
