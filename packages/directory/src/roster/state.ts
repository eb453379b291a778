import type { PeerId } from '@libp2p/interface'
import { bytesEqual, ed25519PublicKeyOfPeerId, SignatureContext, toHex, verify } from '@pocnet/crypto'
import {
  RosterChangeError,
  RosterLinkError,
  RosterRevokedSignerError,
  RosterSignatureError,
  RosterThresholdError,
  RosterUnknownSignerError,
} from '../errors.ts'
import { decodeRosterBody } from './document.ts'
import type { RetiredKey, RosterDocument, RosterMember } from './types.ts'

/**
 * One verified roster version: who the members are and with which keys, the threshold, and
 * every key ever retired (so a revoked or rotated-away key is named as such, never reused).
 * Immutable: applying an amendment returns a new state.
 */
export class RosterState {
  readonly network: string
  readonly version: number
  readonly hash: Uint8Array
  readonly genesisHash: Uint8Array
  readonly threshold: number
  readonly createdAt: number
  readonly members: ReadonlyMap<string, RosterMember>
  readonly retired: ReadonlyMap<string, RetiredKey>
  readonly #byKey: Map<string, RosterMember>

  private constructor(init: {
    network: string
    version: number
    hash: Uint8Array
    genesisHash: Uint8Array
    threshold: number
    createdAt: number
    members: Map<string, RosterMember>
    retired: Map<string, RetiredKey>
  }) {
    this.network = init.network
    this.version = init.version
    this.hash = init.hash
    this.genesisHash = init.genesisHash
    this.threshold = init.threshold
    this.createdAt = init.createdAt
    this.members = init.members
    this.retired = init.retired
    this.#byKey = new Map([...init.members.values()].map((m) => [toHex(m.publicKey), m]))
  }

  /** The member holding this Ed25519 public key now, if any. */
  memberByKey(publicKey: Uint8Array): RosterMember | undefined {
    return this.#byKey.get(toHex(publicKey))
  }

  /** The member whose node has this PeerId now, if any. */
  memberByPeerId(peerId: PeerId): RosterMember | undefined {
    const key = ed25519PublicKeyOfPeerId(peerId)
    return key === undefined ? undefined : this.memberByKey(key)
  }

  /** Verifies a genesis document: every founder must sign, and nobody else. */
  static fromGenesis(doc: RosterDocument): RosterState {
    const body = decodeRosterBody(doc.bodyBytes)
    if (body.kind !== 'genesis')
      throw new RosterLinkError(0, 'the first document of a chain must be a genesis')
    const members = new Map<string, RosterMember>()
    const keys = new Set<string>()
    for (const m of body.members) {
      if (members.has(m.country)) throw new RosterChangeError(0, `founder ${m.country} is listed twice`)
      if (keys.has(toHex(m.publicKey)))
        throw new RosterChangeError(0, `founder ${m.country}'s key is already another founder's`)
      if (m.mlDsaWitnessKey !== undefined && keys.has(toHex(m.mlDsaWitnessKey)))
        throw new RosterChangeError(
          0,
          `founder ${m.country}'s ML-DSA-44 witness key is already another founder's`,
        )
      members.set(m.country, m)
      keys.add(toHex(m.publicKey))
      if (m.mlDsaWitnessKey !== undefined) keys.add(toHex(m.mlDsaWitnessKey))
    }
    if (body.threshold > members.size)
      throw new RosterChangeError(0, `threshold ${body.threshold} exceeds the ${members.size} founders`)
    const state = new RosterState({
      network: body.network,
      version: 0,
      hash: doc.hash,
      genesisHash: doc.hash,
      threshold: body.threshold,
      createdAt: body.createdAt,
      members,
      retired: new Map(),
    })
    const signed = state.#countSignatures(doc, 0)
    if (signed < members.size)
      throw new RosterThresholdError(0, members.size, signed, 'founders (all must sign)')
    return state
  }

  /**
   * Checks the signatures of `doc` against this version's member keys, then decodes it and
   * applies its changes. Signatures are checked over the exact body bytes before decoding.
   */
  apply(doc: RosterDocument): RosterState {
    const version = this.version + 1
    const signed = this.#countSignatures(doc, version)
    if (signed < this.threshold)
      throw new RosterThresholdError(version, this.threshold, signed, `members of version ${this.version}`)
    const body = decodeRosterBody(doc.bodyBytes)
    if (body.kind !== 'amendment')
      throw new RosterLinkError(version, 'a genesis cannot follow another version')
    if (body.network !== this.network)
      throw new RosterLinkError(version, `network ${body.network} is not ${this.network}`)
    if (body.version !== version)
      throw new RosterLinkError(version, `document claims version ${body.version}`)
    if (!bytesEqual(body.prev, this.hash))
      throw new RosterLinkError(
        version,
        `prev ${toHex(body.prev)} is not the hash of version ${this.version}`,
      )

    const members = new Map(this.members)
    const retired = new Map(this.retired)
    let threshold = this.threshold
    const keyInUse = (key: Uint8Array): string | undefined => {
      const hex = toHex(key)
      for (const m of members.values()) if (toHex(m.publicKey) === hex) return `is ${m.country}'s key`
      const r = retired.get(hex)
      return r === undefined ? undefined : `was ${r.country}'s key, ${r.how} at version ${r.atVersion}`
    }
    // each witness has its own ML-DSA-44 key: one held by another member is refused
    const witnessKeyHolder = (key: Uint8Array, except: string): string | undefined =>
      [...members.values()].find(
        (m) => m.country !== except && m.mlDsaWitnessKey !== undefined && bytesEqual(m.mlDsaWitnessKey, key),
      )?.country
    for (const change of body.changes) {
      switch (change.op) {
        case 'admit': {
          const { country } = change.member
          if (members.has(country)) throw new RosterChangeError(version, `admit ${country}: already a member`)
          const clash = keyInUse(change.member.publicKey)
          if (clash !== undefined) throw new RosterChangeError(version, `admit ${country}: the key ${clash}`)
          const pqHolder =
            change.member.mlDsaWitnessKey === undefined
              ? undefined
              : witnessKeyHolder(change.member.mlDsaWitnessKey, country)
          if (pqHolder !== undefined)
            throw new RosterChangeError(
              version,
              `admit ${country}: the ML-DSA-44 witness key is ${pqHolder}'s`,
            )
          members.set(country, change.member)
          break
        }
        case 'witness-key': {
          const m = members.get(change.country)
          if (m === undefined)
            throw new RosterChangeError(version, `witness-key ${change.country}: not a member`)
          const holder = witnessKeyHolder(change.mlDsaWitnessKey, change.country)
          if (holder !== undefined)
            throw new RosterChangeError(version, `witness-key ${change.country}: the key is ${holder}'s`)
          members.set(change.country, { ...m, mlDsaWitnessKey: change.mlDsaWitnessKey })
          break
        }
        case 'revoke': {
          const m = members.get(change.country)
          if (m === undefined) throw new RosterChangeError(version, `revoke ${change.country}: not a member`)
          members.delete(change.country)
          retired.set(toHex(m.publicKey), { country: m.country, how: 'revoked', atVersion: version })
          break
        }
        case 'rotate': {
          const m = members.get(change.country)
          if (m === undefined) throw new RosterChangeError(version, `rotate ${change.country}: not a member`)
          const clash = keyInUse(change.publicKey)
          if (clash !== undefined)
            throw new RosterChangeError(version, `rotate ${change.country}: the new key ${clash}`)
          members.set(change.country, { ...m, publicKey: change.publicKey })
          retired.set(toHex(m.publicKey), { country: m.country, how: 'rotated', atVersion: version })
          break
        }
        case 'threshold':
          threshold = change.threshold
          break
      }
    }
    if (members.size === 0) throw new RosterChangeError(version, 'the roster would have no members')
    if (threshold > members.size)
      throw new RosterChangeError(version, `threshold ${threshold} exceeds the ${members.size} members`)
    return new RosterState({
      network: this.network,
      version,
      hash: doc.hash,
      genesisHash: this.genesisHash,
      threshold,
      createdAt: body.createdAt,
      members,
      retired,
    })
  }

  /** Valid signatures of current members; any other signer makes the whole document invalid. */
  #countSignatures(doc: RosterDocument, version: number): number {
    let count = 0
    for (const { publicKey, signature } of doc.signatures) {
      const member = this.memberByKey(publicKey)
      if (member === undefined) {
        const r = this.retired.get(toHex(publicKey))
        if (r !== undefined) throw new RosterRevokedSignerError(version, r.country, r.how, r.atVersion)
        throw new RosterUnknownSignerError(version, toHex(publicKey))
      }
      if (!verify(SignatureContext.roster, doc.bodyBytes, signature, publicKey))
        throw new RosterSignatureError(version, member.country)
      count++
    }
    return count
  }
}
