import {
  bytesEqual,
  ED25519_PUBLIC_KEY_LENGTH,
  type NodeIdentity,
  SignatureContext,
  toHex,
  verify,
} from '@pocnet/crypto'
import { encode } from '@pocnet/protocol/cbor'
import type { LedgerEntry, LedgerEvent } from './entry.ts'
import { InvalidEntryError, LedgerStateError } from './errors.ts'

/*
 * A node key rotation inside the log (docs/ledger.md §5, Key rotation). A `key-rotation` entry names the
 * key that signed the checkpoints before it and the key that signs those after it, and the
 * roster version that authorised the change; both keys sign a handover statement in it when
 * both are at hand (the new key always).
 */

export const KEY_ROTATION_KIND = 'key-rotation'
const KEY_HANDOVER_CONTEXT = SignatureContext.ledgerKeyHandover

/** What the node tells `Ledger.open` when its key is not the ledger's current key. */
export interface KeyRotationGrant {
  /** The roster version whose `rotate` change gave the country the new key. */
  rosterVersion: number
  /** The old key, when still at hand: it signs the handover, and its blobs stay readable. */
  previous?: NodeIdentity
}

/**
 * Decides whether the ledger's current key may hand over to `newKey` (undefined: refuse). It may
 * answer later: the node decrypts the old key's file only when a hand-over is asked for.
 */
export type KeyRotationPolicy = (
  oldKey: Uint8Array,
  newKey: Uint8Array,
) => KeyRotationGrant | undefined | Promise<KeyRotationGrant | undefined>

/** One key of a ledger's history: it signs the checkpoints of sizes above `after`. */
export interface KeyEpoch {
  publicKey: Uint8Array
  /** Sequence number of the rotation entry that began it; -1 for the key the ledger was created with. */
  after: number
  /** The roster version that authorised it (absent for the first key). */
  rosterVersion?: number
}

/** A rotation as read back from its entry (signatures checked). */
export interface KeyRotation {
  seq: number
  oldKey: Uint8Array
  newKey: Uint8Array
  rosterVersion: number
  /** Whether the old key signed the handover too. */
  oldKeySigned: boolean
}

/** The bytes both keys sign: the log, and which key hands over to which. */
export function handoverStatement(origin: string, oldKey: Uint8Array, newKey: Uint8Array): Uint8Array {
  return encode({ origin, oldKey, newKey })
}

/** The entry that records `identity` taking over from `oldKey`. */
export function keyRotationEvent(
  origin: string,
  oldKey: Uint8Array,
  identity: NodeIdentity,
  grant: KeyRotationGrant,
): LedgerEvent {
  const newKey = identity.signingPublicKey
  const statement = handoverStatement(origin, oldKey, newKey)
  const previous = grant.previous
  if (previous !== undefined && !bytesEqual(previous.signingPublicKey, oldKey))
    throw new LedgerStateError(
      `the previous key given (${toHex(previous.signingPublicKey)}) is not the ledger's current key ${toHex(oldKey)}`,
    )
  return {
    kind: KEY_ROTATION_KIND,
    actor: 'node',
    detail: {
      oldKey,
      newKey,
      rosterVersion: grant.rosterVersion,
      newSignature: identity.signer.sign(KEY_HANDOVER_CONTEXT, statement),
      ...(previous !== undefined && { oldSignature: previous.signer.sign(KEY_HANDOVER_CONTEXT, statement) }),
    },
  }
}

function keyField(detail: NonNullable<LedgerEntry['detail']>, field: string): Uint8Array {
  const value = detail[field]
  if (!(value instanceof Uint8Array) || value.length !== ED25519_PUBLIC_KEY_LENGTH)
    throw new InvalidEntryError(`detail.${field}`, 'must be a 32-byte Ed25519 public key')
  return value
}

/**
 * Reads a `key-rotation` entry and checks its handover signatures: the new key's always, the
 * old key's when present. Throws InvalidEntryError naming the field.
 */
export function readKeyRotation(entry: LedgerEntry, origin: string): KeyRotation {
  const detail = entry.detail
  if (detail === undefined) throw new InvalidEntryError('detail', 'of a key-rotation entry is required')
  const oldKey = keyField(detail, 'oldKey')
  const newKey = keyField(detail, 'newKey')
  const rosterVersion = detail.rosterVersion
  if (typeof rosterVersion !== 'number' || !Number.isSafeInteger(rosterVersion) || rosterVersion < 1)
    throw new InvalidEntryError('detail.rosterVersion', 'must be a roster amendment version (1 or more)')
  if (bytesEqual(oldKey, newKey)) throw new InvalidEntryError('detail.newKey', 'must differ from oldKey')
  const statement = handoverStatement(origin, oldKey, newKey)
  const signature = (field: string): Uint8Array | undefined => {
    const value = detail[field]
    if (value === undefined) return undefined
    if (!(value instanceof Uint8Array))
      throw new InvalidEntryError(`detail.${field}`, 'must be a byte string')
    return value
  }
  const newSignature = signature('newSignature')
  if (newSignature === undefined || !verify(KEY_HANDOVER_CONTEXT, statement, newSignature, newKey))
    throw new InvalidEntryError('detail.newSignature', 'must be the new key’s signature of the handover')
  const oldSignature = signature('oldSignature')
  if (oldSignature !== undefined && !verify(KEY_HANDOVER_CONTEXT, statement, oldSignature, oldKey))
    throw new InvalidEntryError('detail.oldSignature', 'must be the old key’s signature of the handover')
  return { seq: entry.seq, oldKey, newKey, rosterVersion, oldKeySigned: oldSignature !== undefined }
}

/**
 * The key history of a ledger created with `firstKey` and rotated by `rotations` (in order):
 * each rotation must hand over from the key then in force.
 */
export function keyEpochs(firstKey: Uint8Array, rotations: KeyRotation[]): KeyEpoch[] {
  const epochs: KeyEpoch[] = [{ publicKey: firstKey, after: -1 }]
  for (const r of rotations) {
    const current = epochs.at(-1)!.publicKey
    if (!bytesEqual(r.oldKey, current))
      throw new LedgerStateError(
        `the key rotation at entry ${r.seq} hands over from ${toHex(r.oldKey)}, but the key then in force is ${toHex(current)}`,
      )
    epochs.push({ publicKey: r.newKey, after: r.seq, rosterVersion: r.rosterVersion })
  }
  return epochs
}

/** The key that must sign a checkpoint of `size` entries: the last one begun before entry `size`. */
export function keyForSize(epochs: readonly KeyEpoch[], size: number): Uint8Array {
  let key = epochs[0]!.publicKey
  for (const epoch of epochs) if (epoch.after < size) key = epoch.publicKey
  return key
}
