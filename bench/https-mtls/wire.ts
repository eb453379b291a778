/**
 * What the HTTPS+mTLS baseline sends: Ed25519-signed JSON carrying the payload, and the signed
 * receipt the server answers with. The same work as pocnet's envelope and receipt, minus the
 * end-to-end encryption (TLS encrypts hop by hop), done the way a central server would.
 */
import { createHash, type KeyObject, sign, verify } from 'node:crypto'

export interface SignedRequest {
  from: string
  to: string
  caseId: string
  kind: string
  createdAt: number
  messageId: string
  /** base64 */
  payload: string
  /** base64 Ed25519 signature over the JSON of the fields above, in this order. */
  signature: string
}

export interface SignedReceipt {
  /** hex SHA-256 of the request body as received. */
  requestHash: string
  receivedAt: number
  status: 'accepted' | 'rejected'
  /** base64 Ed25519 signature over the JSON of the fields above, in this order. */
  signature: string
}

type Unsigned<T> = Omit<T, 'signature'>

function signed<T extends object>(fields: Unsigned<T>, key: KeyObject): T {
  const signature = sign(null, Buffer.from(JSON.stringify(fields)), key).toString('base64')
  return { ...fields, signature } as T
}

function verified<T extends { signature: string }>(value: T, key: KeyObject): boolean {
  const { signature, ...fields } = value
  return verify(null, Buffer.from(JSON.stringify(fields)), key, Buffer.from(signature, 'base64'))
}

export function requestHash(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex')
}

export function signRequest(fields: Unsigned<SignedRequest>, key: KeyObject): Uint8Array {
  return Buffer.from(JSON.stringify(signed<SignedRequest>(fields, key)))
}

export function verifyRequest(request: SignedRequest, key: KeyObject): boolean {
  return verified(request, key)
}

export function signReceipt(fields: Unsigned<SignedReceipt>, key: KeyObject): Uint8Array {
  return Buffer.from(JSON.stringify(signed<SignedReceipt>(fields, key)))
}

export function verifyReceipt(receipt: SignedReceipt, key: KeyObject): boolean {
  return verified(receipt, key)
}
