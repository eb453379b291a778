import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromEd25519PublicKey } from '@pocnet/crypto'
import type { RosterMember } from '@pocnet/directory'
import { NodeError } from './errors.ts'

/** A bootstrap address that cannot be used: the message names the value and the rule. */
export class BootstrapAddressError extends NodeError {
  readonly hint: string
  constructor(message: string, hint: string) {
    super('ERR_BOOTSTRAP_ADDRESS', message)
    this.hint = hint
  }
}

const HOST_PORT = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/

/**
 * The bootstrap multiaddr for a member: `address` (host:port, or a multiaddr without /p2p) with
 * the member's peer id appended, so the dial is pinned to its key.
 */
export function memberBootstrapAddress(member: RosterMember, address: string): string {
  const peerId = peerIdFromEd25519PublicKey(member.publicKey).toString()
  let base: string
  const hostPort = HOST_PORT.exec(address.trim())
  if (hostPort !== null) {
    const port = Number(hostPort[3])
    if (port < 1 || port > 65_535)
      throw new BootstrapAddressError(
        `address ${address}: port must be 1-65535`,
        'give it as host:port, e.g. 192.0.2.7:4001',
      )
    const host = hostPort[1] ?? hostPort[2]!
    const proto = hostPort[1] !== undefined ? 'ip6' : IPV4.test(host) ? 'ip4' : 'dns'
    base = `/${proto}/${host}/tcp/${port}`
  } else if (address.startsWith('/')) {
    base = address.replace(/\/$/, '')
  } else {
    throw new BootstrapAddressError(
      `address ${address}: must be host:port or a multiaddr`,
      'e.g. --address 192.0.2.7:4001, or --address /dns/pocnet.fr.example/tcp/4001',
    )
  }
  const given = base.match(/\/p2p\/([^/]+)$/)?.[1]
  if (given !== undefined && given !== peerId)
    throw new BootstrapAddressError(
      `address ${address}: names peer ${given}, but ${member.country}'s member file names ${peerId}`,
      'leave /p2p/ out: the peer id comes from the member file',
    )
  return checkedBootstrapAddress(given === undefined ? `${base}/p2p/${peerId}` : base)
}

/** `value` if it is a multiaddr ending in /p2p/<peer id> (a bootstrap entry must name who answers). */
export function checkedBootstrapAddress(value: string): string {
  if (!value.startsWith('/'))
    throw new BootstrapAddressError(
      `${value}: a bootstrap address must be a multiaddr starting with "/"`,
      'e.g. /ip4/192.0.2.7/tcp/4001/p2p/12D3KooW…, or a member.json with --address host:port',
    )
  try {
    multiaddr(value)
  } catch (err) {
    throw new BootstrapAddressError(
      `${value}: not a multiaddr (${(err as Error).message})`,
      'e.g. /ip4/192.0.2.7/tcp/4001/p2p/12D3KooW…',
    )
  }
  if (!/\/p2p\/[^/]+$/.test(value))
    throw new BootstrapAddressError(
      `${value}: a bootstrap address must end in /p2p/<peer id>, so the dial is pinned to the member's key`,
      "add /p2p/<peer id>, or give the member's member.json with --address host:port",
    )
  return value
}

/** The peer id a checked bootstrap address ends in. */
export function peerIdOfBootstrapAddress(value: string): string {
  return value.slice(value.lastIndexOf('/p2p/') + 5)
}
