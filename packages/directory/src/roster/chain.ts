import { bytesEqual, toHex } from '@pocnet/crypto'
import { decode, encode } from '@pocnet/protocol'
import { MAX_ROSTER_CHAIN_BYTES, MAX_ROSTER_CHAIN_LENGTH } from '../constants.ts'
import { RosterForkError, RosterFormatError, RosterGenesisMismatchError } from '../errors.ts'
import { decodeRosterBody, parseRosterDocument } from './document.ts'
import { RosterState } from './state.ts'
import type { RosterDocument } from './types.ts'

export interface VerifiedRosterChain {
  documents: RosterDocument[]
  state: RosterState
}

export interface VerifyChainOptions {
  /** The genesis hash this node trusts; a chain from any other genesis is refused. */
  genesisHash?: Uint8Array
}

/** Verifies a whole chain from genesis and returns the state of its last version. */
export function verifyRosterChain(
  documents: Uint8Array[],
  options: VerifyChainOptions = {},
): VerifiedRosterChain {
  if (documents.length === 0) throw new RosterFormatError('a roster chain holds at least its genesis')
  if (documents.length > MAX_ROSTER_CHAIN_LENGTH)
    throw new RosterFormatError(`a roster chain holds at most ${MAX_ROSTER_CHAIN_LENGTH} versions`)
  const docs = documents.map(parseRosterDocument)
  const genesis = docs[0]!
  if (options.genesisHash !== undefined && !bytesEqual(genesis.hash, options.genesisHash))
    throw new RosterGenesisMismatchError(toHex(options.genesisHash), toHex(genesis.hash))
  let state = RosterState.fromGenesis(genesis)
  for (const doc of docs.slice(1)) {
    try {
      state = state.apply(doc)
    } catch (err) {
      // a second document for the version just applied is a fork, not a broken link
      const claimed = claimedVersion(doc)
      if (claimed === state.version && !bytesEqual(doc.hash, state.hash))
        throw new RosterForkError(state.version, toHex(state.hash), toHex(doc.hash))
      throw err
    }
  }
  return { documents: docs, state }
}

/** The version a document says it is, or undefined when its body does not decode. */
function claimedVersion(doc: RosterDocument): number | undefined {
  try {
    return decodeRosterBody(doc.bodyBytes).version
  } catch {
    return undefined
  }
}

/** CBOR array of document byte strings: the form a chain takes in a file and on the wire. */
export function encodeRosterChain(documents: Uint8Array[]): Uint8Array {
  return encode(documents)
}

export function decodeRosterChain(bytes: Uint8Array): Uint8Array[] {
  const value = decode(bytes, { maxBytes: MAX_ROSTER_CHAIN_BYTES, maxDepth: 2 })
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_ROSTER_CHAIN_LENGTH)
    throw new RosterFormatError(`roster chain: must be an array of 1-${MAX_ROSTER_CHAIN_LENGTH} documents`)
  return value.map((d, i) => {
    if (!(d instanceof Uint8Array)) throw new RosterFormatError(`roster chain[${i}]: must be a byte string`)
    return d
  })
}
