import type { peerIdFromEd25519PublicKey } from '@pocnet/crypto'

export type PeerId = ReturnType<typeof peerIdFromEd25519PublicKey>

/**
 * The public keys of a node: its Ed25519 key (the PeerId), its X25519 box key and, when its
 * directory record advertises one, its X-Wing key for hybrid sealing.
 */
export interface PeerKeys {
  signingPublicKey: Uint8Array
  boxPublicKey: Uint8Array
  kemPublicKey?: Uint8Array
}

/**
 * What the receiver knows of a sender (from the roster and directory). `undefined`, or
 * `member: false`, means the sender is not a current member of the network. A `kemPublicKey`
 * means the sender's record advertises hybrid sealing: it seals hybrid to every node whose
 * record carries an X-Wing key, so a classical envelope from it is a downgrade (§5).
 */
export type SenderInfo = PeerKeys & { member?: boolean }
export type SenderResolver = (sender: PeerId) => SenderInfo | undefined | Promise<SenderInfo | undefined>
