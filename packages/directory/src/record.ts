import { multiaddr } from '@multiformats/multiaddr'
import {
  BOX_PUBLIC_KEY_LENGTH,
  ED25519_SIGNATURE_LENGTH,
  type NodeIdentity,
  SignatureContext,
  verify,
  XWING_PUBLIC_KEY_LENGTH,
  XWingPublicKey,
} from '@pocnet/crypto'
import {
  type CborValue,
  COUNTRY_CODE_RULE,
  decode,
  EMAIL_RULE,
  encode,
  fixedOffsetZoneProblem,
  isCountryCode,
  isEmail,
  isLanguageTag,
  isTimeZone,
  LANGUAGE_TAG_RULE,
  TIME_ZONE_RULE,
} from '@pocnet/protocol'
import {
  MAX_CLOCK_SKEW_MS,
  MAX_LIST_LENGTH,
  MAX_RECORD_BYTES,
  MAX_RECORD_VALIDITY_MS,
  MAX_TEXT_LENGTH,
  RECORD_FORMAT_VERSION,
} from './constants.ts'
import { DECLARATION_CODES, type Declaration, isDeclaration } from './declarations.ts'
import { RecordFieldError, RecordRejectedError } from './errors.ts'
import { FieldReader } from './fields.ts'
import type { RosterState } from './roster/index.ts'

/** Who answers: a telecom/operations centre that connects to an official, or investigative/technical staff. */
export const CONTACT_KINDS = ['telecom-centre', 'investigative'] as const
export type ContactKind = (typeof CONTACT_KINDS)[number]

/**
 * What the point of contact offers: Art. 35(1)(a) technical advice, Art. 29 preservation
 * (35(1)(b)), Art. 30 disclosure of traffic data, the Art. 35(1)(c) services, and the Second
 * Additional Protocol's emergency procedures (Art. 9 disclosure, Art. 10 mutual assistance).
 */
export const SERVICES = [
  'technical-advice',
  'preservation',
  'traffic-data-disclosure',
  'evidence-collection',
  'legal-information',
  'locating-suspects',
  'emergency-disclosure',
  'emergency-assistance',
] as const
export type Service = (typeof SERVICES)[number]

export interface MlaAuthority {
  name: string
  phone?: string
  email?: string
  address?: string
}

/** What a country states about its point of contact: everything in a record but the bookkeeping. */
export interface ContactDetails {
  contactKind: ContactKind
  /** Unit name, e.g. "OCLCTIC — 24/7 desk". */
  unit: string
  /** 24/7 phone in E.164 form (+ and digits). */
  phone: string
  email: string
  /** BCP 47 language tags the desk works in, e.g. ["en", "fr"]. */
  languages: string[]
  /** IANA time zone of the desk, e.g. "Europe/Paris". */
  timeZone: string
  services: Service[]
  mlaAuthority: MlaAuthority | null
  /** Reservations and declarations under the Convention that bear on requests, as short texts. */
  reservations: string[]
  /**
   * Coded reservations and declarations a sending node checks requests against (declarations.ts).
   * Absent or empty, the record is encoded without it, so older nodes still read it.
   */
  declarations?: Declaration[]
  /** X25519 public key for NaCl box: requests to this country are sealed to it. */
  boxPublicKey: Uint8Array
  /**
   * X-Wing public key (ML-KEM-768 + X25519): when present, requests to this country are sealed
   * hybrid to it and the box key together, and the country refuses classical ones from nodes that
   * advertise one too (docs/protocol.md §5). Absent: the country seals and opens classically.
   */
  kemPublicKey?: Uint8Array
  /** libp2p multiaddrs the node listens on. */
  addresses: string[]
}

export interface DirectoryRecord extends ContactDetails {
  country: string
  /** Strictly increasing per country; the selector keeps the highest. */
  seq: number
  issuedAt: number
  expiresAt: number
}

const PHONE = /^\+[0-9]{6,15}$/
/** A multiaddr libp2p can parse: a record's addresses are dialled as they stand. */
function isMultiaddr(text: string): boolean {
  if (!/^\/[^\s]+$/.test(text)) return false
  try {
    multiaddr(text)
    return true
  } catch {
    return false
  }
}

const fieldFail = (field: string, rule: string) => new RecordFieldError(field, rule)

function bodyToCbor(r: DirectoryRecord): CborValue {
  const mla: CborValue =
    r.mlaAuthority === null
      ? null
      : {
          name: r.mlaAuthority.name,
          ...(r.mlaAuthority.phone === undefined ? {} : { phone: r.mlaAuthority.phone }),
          ...(r.mlaAuthority.email === undefined ? {} : { email: r.mlaAuthority.email }),
          ...(r.mlaAuthority.address === undefined ? {} : { address: r.mlaAuthority.address }),
        }
  return {
    v: RECORD_FORMAT_VERSION,
    country: r.country,
    seq: r.seq,
    issuedAt: r.issuedAt,
    expiresAt: r.expiresAt,
    contactKind: r.contactKind,
    unit: r.unit,
    phone: r.phone,
    email: r.email,
    languages: r.languages,
    timeZone: r.timeZone,
    services: r.services,
    mlaAuthority: mla,
    reservations: r.reservations,
    ...(r.declarations === undefined || r.declarations.length === 0 ? {} : { declarations: r.declarations }),
    boxPublicKey: r.boxPublicKey,
    ...(r.kemPublicKey === undefined ? {} : { kemPublicKey: r.kemPublicKey }),
    addresses: r.addresses,
  }
}

const BODY_FIELDS = [
  'v',
  'country',
  'seq',
  'issuedAt',
  'expiresAt',
  'contactKind',
  'unit',
  'phone',
  'email',
  'languages',
  'timeZone',
  'services',
  'mlaAuthority',
  'reservations',
  'boxPublicKey',
  'addresses',
]
/** Fields a record may leave out: a record without them reads as it did before they existed. */
const OPTIONAL_BODY_FIELDS = ['kemPublicKey', 'declarations']

/** Strictly decodes record body bytes; every broken rule is a RecordFieldError naming the field. */
export function decodeRecordBody(bytes: Uint8Array): DirectoryRecord {
  const r = new FieldReader(
    decode(bytes, { maxBytes: MAX_RECORD_BYTES, maxDepth: 3 }),
    'record',
    fieldFail,
    BODY_FIELDS,
    OPTIONAL_BODY_FIELDS,
  )
  if (r.raw('v') !== RECORD_FORMAT_VERSION)
    throw fieldFail('record.v', `must be ${RECORD_FORMAT_VERSION} (unknown record format version)`)
  const contactKind = r.raw('contactKind')
  if (!CONTACT_KINDS.includes(contactKind as ContactKind))
    throw fieldFail('record.contactKind', `must be one of ${CONTACT_KINDS.join(', ')}`)
  const timeZone = r.text('timeZone', 64)
  if (!isTimeZone(timeZone)) throw fieldFail('record.timeZone', `must be ${TIME_ZONE_RULE}`)
  const services = r.textList('services', SERVICES.length, 64) as Service[]
  for (const [i, s] of services.entries()) {
    if (!SERVICES.includes(s))
      throw fieldFail(`record.services[${i}]`, `must be one of ${SERVICES.join(', ')}`)
  }
  let mlaAuthority: MlaAuthority | null = null
  if (r.raw('mlaAuthority') !== null) {
    const m = new FieldReader(
      r.raw('mlaAuthority'),
      'record.mlaAuthority',
      fieldFail,
      ['name'],
      ['phone', 'email', 'address'],
    )
    mlaAuthority = { name: m.text('name', MAX_TEXT_LENGTH) }
    if (m.has('phone')) mlaAuthority.phone = m.text('phone', 16, PHONE, 'must be E.164: + then 6-15 digits')
    if (m.has('email')) mlaAuthority.email = m.text('email', 254, isEmail, `must be ${EMAIL_RULE}`)
    if (m.has('address')) mlaAuthority.address = m.text('address', MAX_TEXT_LENGTH)
  }
  const issuedAt = r.integer('issuedAt', 0)
  const expiresAt = r.integer('expiresAt', 0)
  if (expiresAt <= issuedAt) throw fieldFail('record.expiresAt', 'must be after issuedAt')
  if (expiresAt - issuedAt > MAX_RECORD_VALIDITY_MS)
    throw fieldFail(
      'record.expiresAt',
      `must be at most ${MAX_RECORD_VALIDITY_MS / 86_400_000} days after issuedAt`,
    )
  const declarations = r.has('declarations')
    ? (r.textList(
        'declarations',
        DECLARATION_CODES.length,
        64,
        isDeclaration,
        `must be one of ${DECLARATION_CODES.join(', ')}`,
      ) as Declaration[])
    : undefined
  const boxPublicKey = r.raw('boxPublicKey')
  if (!(boxPublicKey instanceof Uint8Array) || boxPublicKey.length !== BOX_PUBLIC_KEY_LENGTH)
    throw fieldFail('record.boxPublicKey', `must be a ${BOX_PUBLIC_KEY_LENGTH}-byte X25519 public key`)
  const kemPublicKey = r.has('kemPublicKey') ? r.raw('kemPublicKey') : undefined
  if (
    kemPublicKey !== undefined &&
    (!(kemPublicKey instanceof Uint8Array) || kemPublicKey.length !== XWING_PUBLIC_KEY_LENGTH)
  )
    throw fieldFail('record.kemPublicKey', `must be a ${XWING_PUBLIC_KEY_LENGTH}-byte X-Wing public key`)
  if (kemPublicKey !== undefined) {
    // a key senders cannot encapsulate to would make every request to the country fail to seal
    try {
      new XWingPublicKey(kemPublicKey)
    } catch (err) {
      throw fieldFail('record.kemPublicKey', `must be a usable X-Wing public key (${(err as Error).message})`)
    }
  }
  return {
    country: r.text('country', 2, isCountryCode, `must be ${COUNTRY_CODE_RULE}`),
    seq: r.integer('seq', 1),
    issuedAt,
    expiresAt,
    contactKind: contactKind as ContactKind,
    unit: r.text('unit', MAX_TEXT_LENGTH),
    phone: r.text('phone', 16, PHONE, 'must be E.164: + then 6-15 digits'),
    email: r.text('email', 254, isEmail, `must be ${EMAIL_RULE}`),
    languages: r.textList('languages', MAX_LIST_LENGTH, 35, isLanguageTag, `must be ${LANGUAGE_TAG_RULE}`),
    timeZone,
    services,
    mlaAuthority,
    reservations: r.textList('reservations', MAX_LIST_LENGTH, MAX_TEXT_LENGTH),
    ...(declarations === undefined || declarations.length === 0 ? {} : { declarations }),
    boxPublicKey,
    ...(kemPublicKey === undefined ? {} : { kemPublicKey }),
    addresses: r.textList('addresses', MAX_LIST_LENGTH, 256, isMultiaddr, 'must be a multiaddr ("/ip4/...")'),
  }
}

/** Deterministic CBOR of a record body; refuses a record that breaks any field rule. */
export function encodeRecordBody(record: DirectoryRecord): Uint8Array {
  const bytes = encode(bodyToCbor(record))
  decodeRecordBody(bytes)
  return bytes
}

/**
 * The rules a record this node issues must meet beyond those every record is read by: its
 * `timeZone` may not be Etc/GMT±N. Records already published with one stay readable (the decoder
 * takes any zone Intl knows), so this is checked when a record is issued, never when one is read.
 */
export function checkIssuedRecord(record: DirectoryRecord): void {
  const zone = fixedOffsetZoneProblem(record.timeZone)
  if (zone !== undefined) throw fieldFail('record.timeZone', zone)
}

/** The signed record as it travels: `{ body: <body bytes>, sig: Ed25519 over them }`. */
export function signRecord(identity: NodeIdentity, record: DirectoryRecord): Uint8Array {
  checkIssuedRecord(record)
  const body = encodeRecordBody(record)
  const bytes = encode({ body, sig: identity.signer.sign(SignatureContext.directoryRecord, body) })
  if (bytes.length > MAX_RECORD_BYTES)
    throw new RecordFieldError(
      'record',
      `signed record is ${bytes.length} bytes; the limit is ${MAX_RECORD_BYTES}`,
    )
  return bytes
}

export interface VerifiedRecord {
  record: DirectoryRecord
  /** The exact signed bytes, as stored and forwarded. */
  bytes: Uint8Array
}

const reject = (problem: ConstructorParameters<typeof RecordRejectedError>[0], message: string) =>
  new RecordRejectedError(problem, message)

/**
 * Verifies a signed record for `country`: size cap, outer shape, signature by the country's
 * current roster key over the exact body bytes, then the body's fields, its country and its
 * validity window. Throws RecordRejectedError naming the broken rule.
 */
export function verifyRecord(
  bytes: Uint8Array,
  country: string,
  roster: RosterState,
  now: number,
): VerifiedRecord {
  if (bytes.length > MAX_RECORD_BYTES)
    throw reject(
      'too-large',
      `record for ${country} is ${bytes.length} bytes; the limit is ${MAX_RECORD_BYTES}`,
    )
  let outer: FieldReader
  try {
    outer = new FieldReader(decode(bytes, { maxBytes: MAX_RECORD_BYTES, maxDepth: 1 }), 'signed', fieldFail, [
      'body',
      'sig',
    ])
  } catch (err) {
    throw reject('malformed', `record for ${country}: ${(err as Error).message}`)
  }
  const body = outer.raw('body')
  const sig = outer.raw('sig')
  if (
    !(body instanceof Uint8Array) ||
    !(sig instanceof Uint8Array) ||
    sig.length !== ED25519_SIGNATURE_LENGTH
  )
    throw reject('malformed', `record for ${country}: body must be bytes and sig 64 bytes`)
  const member = roster.members.get(country)
  if (member === undefined)
    throw reject('not-a-member', `${country} is not a member of roster version ${roster.version}`)
  if (!verify(SignatureContext.directoryRecord, body, sig, member.publicKey))
    throw reject('bad-signature', `record for ${country} is not signed by its current roster key`)
  let record: DirectoryRecord
  try {
    record = decodeRecordBody(body)
  } catch (err) {
    throw reject('malformed', `record for ${country}: ${(err as Error).message}`)
  }
  if (record.country !== country)
    throw reject('wrong-country', `record stored under ${country} names ${record.country}`)
  checkRecordTimes(record, now)
  return { record, bytes }
}

/**
 * The rules of `verifyRecord` that depend on the clock: checked on every use of a record, even
 * one whose signature was checked before (VerifiedRecords).
 */
export function checkRecordTimes(record: DirectoryRecord, now: number): void {
  const { country } = record
  if (record.expiresAt <= now) throw reject('expired', `record for ${country} expired at ${record.expiresAt}`)
  if (record.issuedAt > now + MAX_CLOCK_SKEW_MS)
    throw reject('not-yet-valid', `record for ${country} is issued in the future (${record.issuedAt})`)
  // A seq is the issue time in ms at most (Directory.publish): a higher one would raise every
  // node's "highest seen" out of reach, locking out the country's next records, new key or not.
  if (record.seq > now + MAX_CLOCK_SKEW_MS)
    throw reject('not-yet-valid', `record for ${country} has seq ${record.seq}, beyond the current time`)
}

/** Orders records of one country: higher seq wins, then later expiry; > 0 when `a` is better. */
export function compareRecords(a: DirectoryRecord, b: DirectoryRecord): number {
  return a.seq !== b.seq ? a.seq - b.seq : a.expiresAt - b.expiresAt
}
