import { cp, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DATA_DIR, PocnetDaemon } from '../src/index.ts'
import { createTestFederation, PASSPHRASE, type TestFederation } from './fixtures/federation.ts'

// Every file the node writes is replaced atomically, so only a damaged disk or a hand edit leaves
// one broken; the start must then stop naming the file and saying what to do, not with a bare
// "Unexpected end of JSON input" or "input ends early" that names nothing.
describe('a start on a damaged data directory names the file and what to do', () => {
  let fed: TestFederation
  let copies = 0
  beforeAll(async () => {
    fed = await createTestFederation(['IT', 'FR'])
    // one run, so that the ledger exists
    const node = await fed.start(0)
    await node.stop()
  }, 60_000)
  afterAll(async () => {
    await fed?.cleanup()
  })

  /** A copy of IT's data directory with `damage` done to it. */
  async function damaged(damage: (dir: string) => Promise<void>): Promise<string> {
    const dir = `${fed.nodes[0]!.dataDir}-damaged-${copies++}`
    await cp(fed.nodes[0]!.dataDir, dir, { recursive: true, filter: (src) => !src.includes('.tmp-') })
    await damage(dir)
    return dir
  }

  const start = (dataDir: string) => PocnetDaemon.start({ dataDir, passphrase: PASSPHRASE })

  it('roster.cbor cut short', async () => {
    const dir = await damaged(async (d) => {
      const bytes = await readFile(join(d, DATA_DIR.roster))
      await writeFile(join(d, DATA_DIR.roster), bytes.subarray(0, bytes.length >> 1))
    })
    const err = await start(dir).then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    )
    expect(err?.code).toBe('ERR_ROSTER_FILE')
    expect(err?.message).toContain(join(dir, DATA_DIR.roster))
    expect(err?.message).toMatch(/ends early.*pocnet roster verify/)
  })

  it.each([
    ['empty', ''],
    ['cut short', '{"format":"pocnet-directory-state/1","highestSeq":{'],
    ['missing its fields', '{"format":"pocnet-directory-state/1"}'],
  ])('directory.json %s', async (_, text) => {
    const dir = await damaged((d) => writeFile(join(d, DATA_DIR.directoryMemory), text))
    const err = await start(dir).then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    )
    expect(err?.code).toBe('ERR_DIRECTORY_FILE')
    expect(err?.message).toContain(join(dir, DATA_DIR.directoryMemory))
    expect(err?.message).toContain('move it aside')
  })

  it('a ledger database LevelDB cannot open', async () => {
    const dir = await damaged((d) => writeFile(join(d, DATA_DIR.ledger, 'db', 'CURRENT'), ''))
    const err = await start(dir).then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    )
    expect(err?.code).toBe('ERR_LEDGER_OPEN')
    expect(err?.message).toContain(join(dir, DATA_DIR.ledger))
    expect(err?.message).toContain('pocnet ledger verify')
  })
})
