import { mkdtemp, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  decodeKeyFile,
  encodeKeyFile,
  KEY_FILE_LENGTH,
  KeyFileError,
  type KeyFileProblem,
  NodeIdentity,
  readKeyFile,
  readKeyFileAddingKem,
  sha256,
  writeKeyFile,
} from '../src/index.ts'

// Low scrypt cost keeps the suite fast; the format stores the parameters, so reading is the same.
const FAST = { log2N: 10, r: 8, p: 1 }
const PASSPHRASE = 'correct horse battery staple'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pocnet-keyfile-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function problemOf(run: () => Promise<unknown>): Promise<KeyFileProblem> {
  try {
    await run()
  } catch (err) {
    expect(err).toBeInstanceOf(KeyFileError)
    return (err as KeyFileError).problem
  }
  throw new Error('expected a KeyFileError')
}

/** Rewrites the body with `change` and recomputes the checksum, as a deliberate forgery would. */
function withValidChecksum(bytes: Uint8Array, change: (b: Uint8Array) => void): Uint8Array {
  const out = bytes.slice()
  change(out)
  out.set(sha256(out.subarray(0, out.length - 32)), out.length - 32)
  return out
}

describe('key files', () => {
  const identity = NodeIdentity.generate()
  let bytes: Uint8Array

  beforeAll(async () => {
    bytes = await encodeKeyFile(identity, PASSPHRASE, FAST)
  })

  it('round trip: write (mode 0600, atomically) and read back the same identity', async () => {
    const path = join(dir, 'node.key')
    await writeKeyFile(path, identity, PASSPHRASE, FAST)
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect((await readFile(path)).length).toBe(KEY_FILE_LENGTH)
    const back = await readKeyFile(path, PASSPHRASE)
    expect(back.secrets).toEqual(identity.secrets)
    expect(back.peerId.equals(identity.peerId)).toBe(true)
    expect(back.boxPublicKey).toEqual(identity.boxPublicKey)

    const other = NodeIdentity.generate()
    await writeKeyFile(path, other, PASSPHRASE, FAST)
    expect((await readKeyFile(path, PASSPHRASE)).peerId.equals(other.peerId)).toBe(true)
    expect(await readdir(dir)).toEqual(['node.key']) // no temporary file left behind
  })

  it('a version 1 file gains an X-Wing seed, same keys, passphrase and parameters, once', async () => {
    const path = join(dir, 'old.key')
    const { kemSeed: _, ...classical } = identity.secrets
    await writeFile(path, await encodeKeyFile(new NodeIdentity(classical), PASSPHRASE, FAST))
    const first = await readKeyFileAddingKem(path, PASSPHRASE)
    expect(first.upgraded).toBe(true)
    expect(first.identity.kem).toBeDefined()
    expect(first.identity.peerId.equals(identity.peerId)).toBe(true)
    expect(first.identity.boxPublicKey).toEqual(identity.boxPublicKey)
    const written = new Uint8Array(await readFile(path))
    expect(written.length).toBe(KEY_FILE_LENGTH)
    expect([...written.subarray(4, 9)]).toEqual([2, 1, FAST.log2N, FAST.r, FAST.p])
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    const second = await readKeyFileAddingKem(path, PASSPHRASE)
    expect(second.upgraded).toBe(false)
    expect(second.identity.kemPublicKey).toEqual(first.identity.kemPublicKey)
    await rm(path)
  })

  it('stores the scrypt parameters and a layout of fixed offsets', () => {
    expect(bytes.length).toBe(KEY_FILE_LENGTH)
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('PNKF')
    expect([...bytes.subarray(4, 9)]).toEqual([2, 1, FAST.log2N, FAST.r, FAST.p])
  })

  it('keeps the X-Wing seed; a key without one is written and read as version 1, 162 bytes', async () => {
    expect((await decodeKeyFile(bytes, PASSPHRASE)).kemPublicKey).toEqual(identity.kemPublicKey)
    const { kemSeed: _, ...classical } = identity.secrets
    const v1 = await encodeKeyFile(new NodeIdentity(classical), PASSPHRASE, FAST)
    expect(v1.length).toBe(162)
    expect(v1[4]).toBe(1)
    const back = await decodeKeyFile(v1, PASSPHRASE)
    expect(back.secrets).toEqual(classical)
    expect(back.kem).toBeUndefined()
    expect(await problemOf(() => decodeKeyFile(v1.subarray(0, 161), PASSPHRASE))).toBe('truncated')
  })

  it("writes new files at OWASP's minimum scrypt cost unless told otherwise, and reads them back", async () => {
    const strong = await encodeKeyFile(identity, PASSPHRASE)
    expect([...strong.subarray(6, 9)]).toEqual([17, 8, 1])
    expect((await decodeKeyFile(strong, PASSPHRASE)).peerId.equals(identity.peerId)).toBe(true)
  })

  it('wrong passphrase: problem "wrong-passphrase"', async () => {
    expect(await problemOf(() => decodeKeyFile(bytes, 'not the passphrase'))).toBe('wrong-passphrase')
  })

  it('missing file: problem "not-found", naming the path', async () => {
    const path = join(dir, 'absent.key')
    const err = await readKeyFile(path, PASSPHRASE).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KeyFileError)
    expect((err as KeyFileError).problem).toBe('not-found')
    expect((err as KeyFileError).message).toContain(path)
  })

  it('truncated at any length after the magic: problem "truncated"', async () => {
    for (let length = 4; length < KEY_FILE_LENGTH; length++) {
      expect(await problemOf(() => decodeKeyFile(bytes.subarray(0, length), PASSPHRASE))).toBe('truncated')
    }
    const path = join(dir, 'truncated.key')
    await writeFile(path, bytes.subarray(0, 100))
    expect(await problemOf(() => readKeyFile(path, PASSPHRASE))).toBe('truncated')
  })

  it('any one flipped byte: problem "corrupted"', async () => {
    for (let i = 0; i < KEY_FILE_LENGTH; i++) {
      const damaged = bytes.slice()
      damaged[i]! ^= 0x01
      expect(await problemOf(() => decodeKeyFile(damaged, PASSPHRASE))).toBe('corrupted')
    }
  })

  it('extra bytes or foreign files: problem "corrupted"', async () => {
    const longer = new Uint8Array(KEY_FILE_LENGTH + 1)
    longer.set(bytes)
    expect(await problemOf(() => decodeKeyFile(longer, PASSPHRASE))).toBe('corrupted')
    expect(await problemOf(() => decodeKeyFile(new Uint8Array(KEY_FILE_LENGTH), PASSPHRASE))).toBe(
      'corrupted',
    )
    expect(await problemOf(() => decodeKeyFile(new Uint8Array(2), PASSPHRASE))).toBe('corrupted')
  })

  it('a file longer than any key file is "corrupted", unread', async () => {
    const path = join(dir, 'longer.key')
    await writeFile(path, Buffer.concat([bytes, Buffer.from([0])]))
    expect(await problemOf(() => readKeyFile(path, PASSPHRASE))).toBe('corrupted')
    const huge = join(dir, 'huge.key')
    const handle = await open(huge, 'w')
    await handle.truncate(2 ** 32) // a hole: more than a Buffer may hold, were it read
    await handle.close()
    expect(await problemOf(() => readKeyFile(huge, PASSPHRASE))).toBe('corrupted')
  })

  it('another format version, or scrypt parameters outside the accepted range, are named', async () => {
    const v3 = withValidChecksum(bytes, (b) => {
      b[4] = 3
    })
    expect(await problemOf(() => decodeKeyFile(v3, PASSPHRASE))).toBe('unsupported-version')
    const greedy = withValidChecksum(bytes, (b) => {
      b[6] = 30
    })
    expect(await problemOf(() => decodeKeyFile(greedy, PASSPHRASE))).toBe('unsafe-parameters')
  })

  it('refuses to write with an empty passphrase or unsafe parameters', async () => {
    await expect(encodeKeyFile(identity, '', FAST)).rejects.toThrow(RangeError)
    await expect(encodeKeyFile(identity, PASSPHRASE, { log2N: 8, r: 8, p: 1 })).rejects.toThrow(RangeError)
  })

  it('normalises the passphrase to NFC', async () => {
    const composed = await encodeKeyFile(identity, 'caf\u00e9', FAST)
    expect((await decodeKeyFile(composed, 'cafe\u0301')).peerId.equals(identity.peerId)).toBe(true)
  })

  it('fuzz: random and mutated files give a KeyFileError, nothing else', async () => {
    const edit = fc.tuple(
      fc.nat(),
      fc.integer({ min: 0, max: 255 }),
      fc.constantFrom('set', 'insert', 'delete'),
    )
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 2 * KEY_FILE_LENGTH }),
      fc.array(edit, { minLength: 1, maxLength: 3 }).map((edits) => {
        const out = [...bytes]
        for (const [at, value, kind] of edits) {
          const i = at % out.length
          if (kind === 'set') out[i] = out[i] === value ? value ^ 1 : value
          else if (kind === 'insert') out.splice(i, 0, value)
          else out.splice(i, 1)
        }
        return Uint8Array.from(out)
      }),
    )
    await fc.assert(
      fc.asyncProperty(input, async (candidate) => {
        fc.pre(candidate.length !== bytes.length || !candidate.every((b, i) => b === bytes[i]))
        await expect(decodeKeyFile(candidate, PASSPHRASE)).rejects.toBeInstanceOf(KeyFileError)
      }),
      { numRuns: 2000 },
    )
  })
})
