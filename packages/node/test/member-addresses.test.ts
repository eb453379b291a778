import { multiaddr } from '@multiformats/multiaddr'
import { NodeIdentity } from '@pocnet/crypto'
import { DirectoryMemory, signRecord, verifyRosterChain } from '@pocnet/directory'
import { signedGenesis, testContact } from '@pocnet/test-utils'
import { describe, expect, it } from 'vitest'
import { hostOf, MemberAddresses } from '../src/member-addresses.ts'

const fr = NodeIdentity.generate()
const de = NodeIdentity.generate()
const members = [
  { country: 'FR', name: 'France', publicKey: fr.signingPublicKey },
  { country: 'DE', name: 'Germany', publicKey: de.signingPublicKey },
]
const roster = verifyRosterChain([signedGenesis('pocnet-test', 1, members, [fr, de])]).state
const frOnly = verifyRosterChain([signedGenesis('pocnet-test', 1, members.slice(0, 1), [fr])]).state

/** FR's signed directory record naming `addresses`, valid now. */
function frRecord(addresses: string[]) {
  const now = Date.now()
  const record = {
    ...testContact('FR'),
    country: 'FR',
    boxPublicKey: fr.boxPublicKey,
    addresses,
    seq: now,
    issuedAt: now,
    expiresAt: now + 24 * 3600_000,
  }
  return { seq: now, bytes: signRecord(fr, record) }
}

describe('members known addresses', () => {
  it("reads them from members' verified records, the bootstrap list and members' connections", async () => {
    const memory = await DirectoryMemory.open()
    const signed = frRecord(['/ip4/198.51.100.7/tcp/4001', '/dns4/node.fr.example/tcp/4001'])
    memory.cache('FR', signed.seq, { bytes: signed.bytes, fetchedAt: Date.now() })
    let current = roster
    const known = new MemberAddresses({
      getRoster: () => current,
      memory,
      configured: ['/ip4/203.0.113.20/tcp/4001/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'],
    })
    expect(known.has('198.51.100.7'), 'from the record').toBe(true)
    expect(known.has('203.0.113.20'), 'from the bootstrap list').toBe(true)
    expect(known.has('192.0.2.99')).toBe(false)
    known.observe('DE', multiaddr('/ip4/192.0.2.99/tcp/51000'))
    expect(known.has('192.0.2.99'), "from DE's connection").toBe(true)
    // DE leaves the roster: the address its connection came from is no member's any more
    current = frOnly
    expect(known.has('192.0.2.99')).toBe(false)
    expect(known.has('198.51.100.7')).toBe(true)
  })

  it('takes the IP address of a multiaddr, IPv4-mapped IPv6 as IPv4, none of a DNS name', () => {
    expect(hostOf(multiaddr('/ip4/127.0.0.2/tcp/1'))).toBe('127.0.0.2')
    expect(hostOf(multiaddr('/ip6/::ffff:192.0.2.1/tcp/1'))).toBe('192.0.2.1')
    expect(hostOf(multiaddr('/ip6/2001:DB8::1/tcp/1'))).toBe('2001:db8::1')
    expect(hostOf(multiaddr('/dns4/node.example/tcp/1'))).toBeUndefined()
  })
})
