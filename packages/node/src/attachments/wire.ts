import { MAX_CHUNK_BYTES, MAX_CHUNKS } from '@pocnet/cases'
import { decode, encode } from '@pocnet/protocol/cbor'
import { CHUNK_TAG_BYTES } from './chunk-seal.ts'

/**
 * Frames of the attachment protocol (docs/protocol.md §12), CBOR maps. The receiver asks for one
 * sealed chunk at a time, or says it holds the whole file; the sender answers with the chunk, an
 * acknowledgement, or an error code.
 */
export type ChunkRequest = { id: string; index: number } | { id: string; done: true }
export type ChunkResponse = { chunk: Uint8Array } | { ok: true } | { error: ChunkError }

/** Why a sender refuses a request: no such attachment offered to the asker, or no such chunk. */
export const CHUNK_ERRORS = ['unknown', 'no-chunk', 'unavailable'] as const
export type ChunkError = (typeof CHUNK_ERRORS)[number]

/** Most bytes of a request frame: an id and an index. */
export const MAX_CHUNK_REQUEST_BYTES = 128
/** Most bytes of a response frame: the largest sealed chunk and the CBOR around it. */
export const MAX_CHUNK_RESPONSE_BYTES = MAX_CHUNK_BYTES + CHUNK_TAG_BYTES + 64

const ID = /^[0-9a-f]{32}$/

export function encodeChunkRequest(request: ChunkRequest): Uint8Array {
  return encode(request)
}

export function decodeChunkRequest(frame: Uint8Array): ChunkRequest {
  const v = decode(frame, { maxBytes: MAX_CHUNK_REQUEST_BYTES }) as Record<string, unknown>
  if (typeof v !== 'object' || v === null || typeof v.id !== 'string' || !ID.test(v.id))
    throw new Error('a chunk request names an attachment id of 32 hex characters')
  if (v.done === true && Object.keys(v).length === 2) return { id: v.id, done: true }
  const index = v.index
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0 || index >= MAX_CHUNKS)
    throw new Error(`a chunk request's index is a whole number below ${MAX_CHUNKS}`)
  if (Object.keys(v).length !== 2) throw new Error('a chunk request has only id and index')
  return { id: v.id, index }
}

export function encodeChunkResponse(response: ChunkResponse): Uint8Array {
  return encode(response)
}

export function decodeChunkResponse(frame: Uint8Array): ChunkResponse {
  const v = decode(frame, { maxBytes: MAX_CHUNK_RESPONSE_BYTES }) as Record<string, unknown>
  if (typeof v !== 'object' || v === null) throw new Error('a chunk response is a map')
  if (v.chunk instanceof Uint8Array) return { chunk: v.chunk }
  if (v.ok === true) return { ok: true }
  if (typeof v.error === 'string' && (CHUNK_ERRORS as readonly string[]).includes(v.error))
    return { error: v.error as ChunkError }
  throw new Error('a chunk response holds a chunk, ok or a known error')
}
