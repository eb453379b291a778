import { bytesEqual, toHex } from '@pocnet/crypto'
import { decodeEntry } from '../entry.ts'
import { KEY_ROTATION_KIND, type KeyEpoch, keyEpochs, keyForSize, readKeyRotation } from '../key-rotation.ts'
import { Failure } from './report.ts'
import type { EntrySink } from './source.ts'

/*
 * The verifier's key-sequence rule (docs/ledger.md §7): a checkpoint of size n must be signed by
 * the key in force after entries 0..n-1, as the ledger's key-rotation entries say; with the
 * roster's key history for the country, every key must be one the roster gave it, in the
 * roster's order, each rotation naming the roster version that made it.
 */

/** One key the roster gave a country, in the order it gave them (directory's `keyHistoryOf`). */
export interface AuthorisedKey {
  publicKey: Uint8Array
  /** The roster version that gave it (0: a founder's key). */
  fromVersion: number
  /** When the roster took it back, if it did. */
  retired?: { how: 'revoked' | 'rotated'; atVersion: number }
}

/** A key-rotation entry a source names before its entries come (its bytes are checked when they do). */
export interface DeclaredRotation {
  seq: number
  bytes: Uint8Array
}

export class KeySequence {
  readonly epochs: KeyEpoch[]
  readonly #declared: Map<number, Uint8Array>

  constructor(origin: string, firstKey: Uint8Array, declared: DeclaredRotation[], pin?: AuthorisedKey[]) {
    this.#declared = new Map(declared.map((d) => [d.seq, d.bytes]))
    const rotations = declared.map(({ seq, bytes }) => {
      try {
        const entry = decodeEntry(bytes)
        if (entry.kind !== KEY_ROTATION_KIND || entry.seq !== seq)
          throw new Error(`it is a ${entry.kind} entry numbered ${entry.seq}`)
        return readKeyRotation(entry, origin)
      } catch (err) {
        throw new Failure(`entry ${seq} is not a valid key rotation: ${(err as Error).message}`, seq)
      }
    })
    try {
      this.epochs = keyEpochs(firstKey, rotations)
    } catch (err) {
      throw new Failure((err as Error).message)
    }
    if (pin !== undefined) checkAgainstRoster(this.epochs, pin)
  }

  /** The key in force now (the last one). */
  get current(): Uint8Array {
    return this.epochs.at(-1)!.publicKey
  }

  /** The key that must sign a checkpoint of `size` entries. */
  keyFor(size: number): Uint8Array {
    return keyForSize(this.epochs, size)
  }

  /** `sink`, checking that each declared rotation entry is the entry the source hands at its place. */
  guard(sink: EntrySink): EntrySink {
    if (this.#declared.size === 0) return sink
    const check = (seq: number, bytes: Uint8Array) => {
      const declared = this.#declared.get(seq)
      if (declared !== undefined && !bytesEqual(declared, bytes))
        throw new Failure(`entry ${seq} is not the key rotation the ledger declares there`, seq)
    }
    return {
      entry: (seq, bytes, storedLeaf) => {
        check(seq, bytes)
        return sink.entry(seq, bytes, storedLeaf)
      },
      run: (seq, run) => {
        for (let i = 0; i < run.count; i++)
          if (this.#declared.has(seq + i))
            check(seq + i, run.bytes.subarray(run.bounds[i]!, run.bounds[i + 1]!))
        return sink.run(seq, run)
      },
      end: () => sink.end(),
    }
  }
}

/**
 * Every key of the ledger is one the roster gave the country, in the roster's order, and each
 * rotation names the roster version that gave its new key, after the old one was retired.
 */
function checkAgainstRoster(epochs: KeyEpoch[], authorised: AuthorisedKey[]): void {
  let previous = -1
  for (const [i, epoch] of epochs.entries()) {
    const at = authorised.findIndex((k) => bytesEqual(k.publicKey, epoch.publicKey))
    const where =
      i === 0 ? 'the key the ledger was created with' : `the key rotated in at entry ${epoch.after}`
    if (at < 0)
      throw new Failure(`${where}, ${toHex(epoch.publicKey)}, is not a key the roster gave this country`)
    if (at <= previous)
      throw new Failure(
        `${where}, ${toHex(epoch.publicKey)}, was given by the roster before the key it replaces`,
      )
    if (i > 0) {
      const given = authorised[at]!
      const old = authorised[previous]!
      if (epoch.rosterVersion !== given.fromVersion)
        throw new Failure(
          `the key rotation at entry ${epoch.after} names roster version ${epoch.rosterVersion}, but the roster gave that key at version ${given.fromVersion}`,
          epoch.after,
        )
      if (old.retired === undefined || old.retired.atVersion > given.fromVersion)
        throw new Failure(
          `the key rotation at entry ${epoch.after} replaces ${toHex(old.publicKey)}, which the roster had not retired by version ${given.fromVersion}`,
          epoch.after,
        )
    }
    previous = at
  }
}
