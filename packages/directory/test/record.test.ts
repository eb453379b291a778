import { NodeIdentity, SignatureContext } from '@pocnet/crypto'
import { encode } from '@pocnet/protocol'
import { describe, expect, it } from 'vitest'
import {
  type DirectoryRecord,
  decodeRecordBody,
  encodeRecordBody,
  MAX_RECORD_BYTES,
  RecordFieldError,
  RecordRejectedError,
  type RosterChange,
  signRecord,
  verifyRecord,
  verifyRosterChain,
} from '../src/index.ts'
import { makeFounders, NETWORK, recordAt, signedDocument } from './fixtures/network.ts'

const NOW = 1_800_000_000_000
const f = makeFounders(3, 2)
const [fr, de, it3] = f.identities as [NodeIdentity, NodeIdentity, NodeIdentity]
const [FR, DE] = f.countries as [string, string]
const roster = verifyRosterChain(f.chain).state

const record = (identity: NodeIdentity, country: string, over: Partial<DirectoryRecord> = {}) =>
  recordAt(NOW, identity, country, over)

function problemOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    return err instanceof RecordRejectedError ? err.problem : `other: ${(err as Error).message}`
  }
  return undefined
}

describe('record body', () => {
  it('round-trips through deterministic CBOR', () => {
    const r = record(fr, FR)
    expect(decodeRecordBody(encodeRecordBody(r))).toEqual(r)
  })

  it('carries an X-Wing key when given one, and stays within the size cap with it', () => {
    const r = record(fr, FR, { kemPublicKey: fr.kemPublicKey! })
    expect(decodeRecordBody(encodeRecordBody(r)).kemPublicKey).toEqual(fr.kemPublicKey)
    expect(decodeRecordBody(encodeRecordBody(record(fr, FR))).kemPublicKey).toBeUndefined()
    const full = record(fr, FR, {
      kemPublicKey: fr.kemPublicKey!,
      unit: 'u'.repeat(512),
      reservations: Array.from({ length: 4 }, (_, i) => `${i}`.repeat(512)),
    })
    expect(signRecord(fr, full).length).toBeLessThan(MAX_RECORD_BYTES)
  })

  it.each([
    [{ phone: '0140000000' }, 'record.phone', /E\.164/],
    [{ email: 'nobody' }, 'record.email', /e-mail/],
    [{ languages: ['English'] }, 'record.languages[0]', /BCP 47/],
    [{ timeZone: 'Mars/Olympus' }, 'record.timeZone', /IANA/],
    [{ services: ['everything'] }, 'record.services[0]', /must be one of/],
    [{ country: 'France' }, 'record.country', /ISO 3166-1/],
    [{ expiresAt: NOW - 2000 }, 'record.expiresAt', /after issuedAt/],
    [{ expiresAt: NOW + 40 * 86_400_000 }, 'record.expiresAt', /at most 30 days/],
    [{ boxPublicKey: new Uint8Array(31) }, 'record.boxPublicKey', /32-byte/],
    [{ kemPublicKey: new Uint8Array(1184) }, 'record.kemPublicKey', /1216-byte X-Wing/],
    [{ kemPublicKey: new Uint8Array(1216).fill(0xff) }, 'record.kemPublicKey', /usable X-Wing public key/],
    [{ seq: 0 }, 'record.seq', /within 1\.\./],
    [{ addresses: ['/garbage'] }, 'record.addresses[0]', /multiaddr/],
    [{ addresses: ['/ip4/192.0.2.1/tcp/4001', '/ip4/192.0.2.1/tcp/x'] }, 'record.addresses[1]', /multiaddr/],
  ] as Array<[Partial<DirectoryRecord>, string, RegExp]>)('refuses %o naming %s', (over, field, rule) => {
    const err = (() => {
      try {
        encodeRecordBody(record(fr, FR, over as Partial<DirectoryRecord>))
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(RecordFieldError)
    expect((err as RecordFieldError).field).toBe(field)
    expect((err as Error).message).toMatch(rule)
  })
})

describe('a record with an Etc/GMT±N zone', () => {
  const etc = record(fr, FR, { timeZone: 'Etc/GMT-1' })

  it('is refused when this node issues it (reverse sign, no summer time)', () => {
    const err = (() => {
      try {
        signRecord(fr, etc)
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(RecordFieldError)
    expect((err as RecordFieldError).field).toBe('record.timeZone')
    expect((err as Error).message).toMatch(/"Etc\/GMT-1" is refused: .*reverse sign.*Europe\/Paris/)
  })

  it('stays readable when another node published it before the rule', () => {
    // signed by hand, as an older node would have: verification must not break on it
    const body = encodeRecordBody(etc)
    const bytes = encode({ body, sig: fr.signer.sign(SignatureContext.directoryRecord, body) })
    expect(verifyRecord(bytes, FR, roster, NOW).record.timeZone).toBe('Etc/GMT-1')
  })
})

describe('verifyRecord', () => {
  it('accepts the genuine record', () => {
    const bytes = signRecord(fr, record(fr, FR))
    expect(verifyRecord(bytes, FR, roster, NOW).record.unit).toBe('24/7 desk')
  })

  it('refuses a member publishing for another country', () => {
    // signed by DE's key, claiming FR, stored under FR
    expect(problemOf(() => verifyRecord(signRecord(de, record(de, FR)), FR, roster, NOW))).toBe(
      'bad-signature',
    )
    // signed by DE for itself but stored under FR
    expect(problemOf(() => verifyRecord(signRecord(de, record(de, DE)), FR, roster, NOW))).toBe(
      'bad-signature',
    )
    // signed by FR, naming DE, stored under FR
    expect(problemOf(() => verifyRecord(signRecord(fr, record(fr, DE)), FR, roster, NOW))).toBe(
      'wrong-country',
    )
  })

  it('refuses expired, future and non-member records', () => {
    const expired = signRecord(fr, record(fr, FR, { issuedAt: NOW - 10_000, expiresAt: NOW - 1 }))
    expect(problemOf(() => verifyRecord(expired, FR, roster, NOW))).toBe('expired')
    const future = signRecord(fr, record(fr, FR, { issuedAt: NOW + 3_600_000, expiresAt: NOW + 7_200_000 }))
    expect(problemOf(() => verifyRecord(future, FR, roster, NOW))).toBe('not-yet-valid')
    const outsider = NodeIdentity.generate()
    expect(
      problemOf(() => verifyRecord(signRecord(outsider, record(outsider, 'ZZ')), 'ZZ', roster, NOW)),
    ).toBe('not-a-member')
  })

  it('refuses records signed by a revoked or rotated-away key', () => {
    const fresh = NodeIdentity.generate()
    const changes: RosterChange[] = [
      { op: 'rotate', country: FR, publicKey: fresh.signingPublicKey },
      { op: 'revoke', country: DE },
    ]
    const v1 = signedDocument(
      { kind: 'amendment', network: NETWORK, version: 1, prev: roster.hash, createdAt: NOW, changes },
      [fr, de, it3],
    )
    const after = verifyRosterChain([...f.chain, v1]).state
    expect(problemOf(() => verifyRecord(signRecord(fr, record(fr, FR)), FR, after, NOW))).toBe(
      'bad-signature',
    )
    expect(
      problemOf(() => verifyRecord(signRecord(fresh, record(fresh, FR)), FR, after, NOW)),
    ).toBeUndefined()
    expect(problemOf(() => verifyRecord(signRecord(de, record(de, DE)), DE, after, NOW))).toBe('not-a-member')
  })

  it('refuses over-size and non-canonical records', () => {
    const big = encode({ body: new Uint8Array(MAX_RECORD_BYTES), sig: new Uint8Array(64) })
    expect(problemOf(() => verifyRecord(big, FR, roster, NOW))).toBe('too-large')

    const genuine = signRecord(fr, record(fr, FR))
    // the 64-byte sig length written in two bytes instead of one: same value, non-canonical
    const sigKey = [0x63, 0x73, 0x69, 0x67, 0x58, 0x40]
    const at = genuine.findIndex((_, i) => sigKey.every((byte, j) => genuine[i + j] === byte)) + 4
    expect(at).toBeGreaterThan(4)
    const longForm = new Uint8Array([
      ...genuine.subarray(0, at),
      0x59,
      0x00,
      0x40,
      ...genuine.subarray(at + 2),
    ])
    expect(problemOf(() => verifyRecord(longForm, FR, roster, NOW))).toBe('malformed')
    expect(problemOf(() => verifyRecord(new Uint8Array([...genuine, 0]), FR, roster, NOW))).toBe('malformed')

    // a body the country itself signed, but not in canonical form (seq 5 in a 2-byte integer)
    const body = encodeRecordBody(record(fr, FR))
    const seqKey = [0x63, 0x73, 0x65, 0x71, 0x05]
    const seqAt = body.findIndex((_, i) => seqKey.every((byte, j) => body[i + j] === byte)) + 4
    expect(seqAt).toBeGreaterThan(4)
    const nonCanonicalBody = new Uint8Array([
      ...body.subarray(0, seqAt),
      0x18,
      0x05,
      ...body.subarray(seqAt + 1),
    ])
    const signed = encode({
      body: nonCanonicalBody,
      sig: fr.signer.sign(SignatureContext.directoryRecord, nonCanonicalBody),
    })
    expect(problemOf(() => verifyRecord(signed, FR, roster, NOW))).toBe('malformed')
  })

  it('refuses a record its country signed with an address libp2p cannot parse', () => {
    // nodes dial a record's addresses as they stand: one that does not parse must never be cached
    const body = encodeRecordBody(record(fr, FR, { addresses: ['/ip4/192.0.2.1/tcp/4001'] }))
    const good = new TextEncoder().encode('/ip4/192.0.2.1/tcp/4001')
    const at = body.findIndex((_, i) => good.every((byte, j) => body[i + j] === byte))
    expect(at).toBeGreaterThan(0)
    const bad = new Uint8Array(body)
    bad.set(new TextEncoder().encode('/garbage/garbage/garbag'), at)
    const signed = encode({ body: bad, sig: fr.signer.sign(SignatureContext.directoryRecord, bad) })
    expect(problemOf(() => verifyRecord(signed, FR, roster, NOW))).toBe('malformed')
  })
})
