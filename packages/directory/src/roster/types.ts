export interface RosterMember {
  /** ISO 3166-1 alpha-2 code, the member's identity in the federation. */
  country: string
  /** Display name, e.g. "France — OCLCTIC". */
  name: string
  /** Raw Ed25519 public key: the node's PeerId and its signing key. */
  publicKey: Uint8Array
  /**
   * Raw ML-DSA-44 public key its witness cosigns with beside its Ed25519 key (c2sp.org/
   * tlog-cosignature, type 0x06), when it has one: here so an auditor has it from the roster alone.
   */
  mlDsaWitnessKey?: Uint8Array
}

export type RosterChange =
  | { op: 'admit'; member: RosterMember }
  | { op: 'revoke'; country: string }
  | { op: 'rotate'; country: string; publicKey: Uint8Array }
  | { op: 'threshold'; threshold: number }
  | { op: 'witness-key'; country: string; mlDsaWitnessKey: Uint8Array }

export interface GenesisBody {
  kind: 'genesis'
  network: string
  version: 0
  createdAt: number
  threshold: number
  members: RosterMember[]
}

export interface AmendmentBody {
  kind: 'amendment'
  network: string
  version: number
  /** SHA-256 of the previous version's body bytes. */
  prev: Uint8Array
  createdAt: number
  changes: RosterChange[]
}

export type RosterBody = GenesisBody | AmendmentBody

export interface RosterSignature {
  publicKey: Uint8Array
  signature: Uint8Array
}

/** A roster document as received: its exact bytes, the body bytes the signatures cover, and the signatures. */
export interface RosterDocument {
  bytes: Uint8Array
  bodyBytes: Uint8Array
  /** SHA-256 of `bodyBytes`: the version's identity, and the next version's `prev`. */
  hash: Uint8Array
  signatures: RosterSignature[]
}

export interface RetiredKey {
  country: string
  how: 'revoked' | 'rotated'
  atVersion: number
}
