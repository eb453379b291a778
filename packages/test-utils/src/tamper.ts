import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DATA_DIR } from '@pocnet/node'
import { type CborValue, decode, encode } from '@pocnet/protocol'
import { Level } from 'level'
import { HarnessError } from './errors.ts'

/*
 * What an attacker with the files does to a ledger or a bundle, byte by byte, for tests that
 * check the verifier sees it (docs/ledger.md §6, §7).
 */

const MAGIC_BYTES = 8
const CHECKPOINT_RECORD = 0x43
const TRAILER_RECORD = 0x5a
/** The LevelDB key prefix of a stored blob ("b" ‖ its address). */
const BLOB_PREFIX = 0x62

/**
 * Writes `to`: the bundle `from` without any checkpoint record, its trailer's counts made to match,
 * as someone rewriting a bundle would (nothing signed then covers its entries).
 */
export async function stripBundleCheckpoints(from: string, to: string): Promise<void> {
  const bytes = await readFile(from)
  const kept: Buffer[] = [bytes.subarray(0, MAGIC_BYTES)]
  for (let at = MAGIC_BYTES; at < bytes.length; ) {
    const type = bytes[at]!
    const length = bytes.readUInt32BE(at + 1)
    const record = bytes.subarray(at, at + 5 + length)
    at += 5 + length
    if (type === CHECKPOINT_RECORD) continue
    if (type !== TRAILER_RECORD) {
      kept.push(record)
      continue
    }
    const counts = decode(record.subarray(5)) as { [key: string]: CborValue }
    const trailer = encode({ ...counts, checkpoints: 0 })
    const head = Buffer.alloc(5)
    head[0] = TRAILER_RECORD
    head.writeUInt32BE(trailer.length, 1)
    kept.push(head, Buffer.from(trailer))
  }
  await writeFile(to, Buffer.concat(kept))
}

/** Key ID, timestamp and ML-DSA-44 signature: the bytes of an ML-DSA-44 cosignature line. */
const ML_DSA_LINE_BYTES = 4 + 8 + 2420

/**
 * Writes `to`: the bundle `from` with every ML-DSA-44 cosignature line taken off its checkpoint
 * notes (told by their length), as a bundle from before them, or one someone stripped, would be.
 */
export async function stripBundleMlDsaCosignatures(from: string, to: string): Promise<void> {
  const bytes = await readFile(from)
  const kept: Buffer[] = [bytes.subarray(0, MAGIC_BYTES)]
  for (let at = MAGIC_BYTES; at < bytes.length; ) {
    const type = bytes[at]!
    const length = bytes.readUInt32BE(at + 1)
    const record = bytes.subarray(at, at + 5 + length)
    at += 5 + length
    if (type !== CHECKPOINT_RECORD) {
      kept.push(record)
      continue
    }
    const note = record.subarray(5).toString('utf8')
    const split = note.lastIndexOf('\n\n')
    const lines = note
      .slice(split + 2, -1)
      .split('\n')
      .filter(
        (line) => Buffer.from(line.slice(line.lastIndexOf(' ') + 1), 'base64').length !== ML_DSA_LINE_BYTES,
      )
    const stripped = Buffer.from(`${note.slice(0, split + 2)}${lines.map((l) => `${l}\n`).join('')}`)
    const head = Buffer.alloc(5)
    head[0] = CHECKPOINT_RECORD
    head.writeUInt32BE(stripped.length, 1)
    kept.push(head, stripped)
  }
  await writeFile(to, Buffer.concat(kept))
}

/**
 * Flips one bit of a stored blob of the (stopped) node in `dataDir` — the one at `address` (its
 * SHA-256), else the first — at `offset` in its stored bytes, in LevelDB's table file itself, not
 * through LevelDB. Returns the blob's address (hex).
 */
export async function flipStoredBlobByte(
  dataDir: string,
  offset: number,
  address?: Uint8Array,
): Promise<string> {
  const dbDir = join(dataDir, DATA_DIR.ledger, 'db')
  // opening writes LevelDB's log into a table file, where the blob then lies
  const db = new Level<Uint8Array, Uint8Array>(dbDir, { keyEncoding: 'view', valueEncoding: 'view' })
  let blob: { key: Uint8Array; sealed: Uint8Array } | undefined
  try {
    const range =
      address === undefined
        ? { gt: Uint8Array.of(BLOB_PREFIX), lt: Uint8Array.of(BLOB_PREFIX + 1) }
        : { gte: Uint8Array.of(BLOB_PREFIX, ...address), lte: Uint8Array.of(BLOB_PREFIX, ...address) }
    for await (const [key, sealed] of db.iterator({ ...range, limit: 1 }))
      blob = { key: key.slice(), sealed: sealed.slice() }
  } finally {
    await db.close()
  }
  if (blob === undefined) throw new HarnessError('ERR_NO_BLOB', `no stored blob in ${dbDir}`)
  for (const name of await readdir(dbDir)) {
    if (!name.endsWith('.ldb')) continue
    const file = await readFile(join(dbDir, name))
    const at = file.indexOf(blob.sealed)
    if (at < 0) continue
    file[at + offset]! ^= 0x01
    await writeFile(join(dbDir, name), file)
    return Buffer.from(blob.key.subarray(1)).toString('hex')
  }
  throw new HarnessError('ERR_NO_BLOB', `the stored blob is in no table file of ${dbDir}`)
}
