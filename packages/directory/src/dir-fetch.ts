import { COUNTRY_CODE_RULE, decode, isCountryCode } from '@pocnet/protocol'
import { ExchangeError } from '@pocnet/protocol/reqresp'
import { MAX_RECORD_BYTES, MAX_REQUEST_BYTES } from './constants.ts'
import { PeerProtocolError } from './errors.ts'
import { FieldReader } from './fields.ts'

/** The frames of `/pocnet/dir-fetch/1.0.0`, by which a member asks another for a country's record. */

const peerFail = (field: string, rule: string) => new PeerProtocolError(`dir-fetch ${field}: ${rule}`)

/** A dir-fetch request, `{ country }`: the country whose record is asked for. */
export function decodeFetchRequest(frame: Uint8Array): string {
  const r = new FieldReader(
    decode(frame, { maxBytes: MAX_REQUEST_BYTES, maxDepth: 1 }),
    'request',
    peerFail,
    ['country'],
  )
  return r.text('country', 2, isCountryCode, `must be ${COUNTRY_CODE_RULE}`)
}

/** A dir-fetch answer, `{ record }`: the record's bytes, or null when the peer holds none. */
export function decodeFetchAnswer(frame: Uint8Array): Uint8Array | null {
  const r = new FieldReader(
    decode(frame, { maxBytes: MAX_RECORD_BYTES + 64, maxDepth: 1 }),
    'response',
    peerFail,
    ['record'],
  )
  const bytes = r.raw('record')
  if (bytes !== null && !(bytes instanceof Uint8Array))
    throw peerFail('response.record', 'must be a byte string or null')
  return bytes
}

/** A failure to reach a peer at all (no stream, or none in time), as opposed to a bad answer. */
export function isUnreachable(err: unknown): boolean {
  return (
    err instanceof ExchangeError &&
    (err.failure === 'dial-failed' || err.failure === 'deadline' || err.failure === 'aborted')
  )
}
