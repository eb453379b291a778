import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DATA_DIR, type Health } from '@pocnet/node'
import {
  createFederation,
  type Federation,
  federationLogs,
  runCli,
  runCliJson,
  spawnNode,
  waitFor,
} from '@pocnet/test-utils'
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest'

// A node whose own directory record breaks a rule is unreachable for requests: it must say so.
// FR starts with a contact.json from before the Etc/GMT rule: the refusal is logged once with
// the file, the field, the rule and the fix, `pocnet status` warns, `pocnet directory publish`
// refuses with the same words, and once the file is fixed the record is published without a restart.

const OLD_ZONE = 'Etc/GMT-3'

describe('a directory record the node cannot publish', () => {
  let fed: Federation
  let contactPath: string

  beforeAll(async () => {
    fed = await createFederation({ countries: ['FR', 'DE'] })
    const fr = fed.node('FR')
    contactPath = join(fr.dataDir, DATA_DIR.contact)
    const contact = JSON.parse(await readFile(contactPath, 'utf8')) as Record<string, unknown>
    await writeFile(contactPath, JSON.stringify({ ...contact, timeZone: OLD_ZONE }))
    await Promise.all(fed.nodes.map((n) => spawnNode(n)))
  })

  afterAll(async () => {
    await fed?.cleanup()
  })

  const refusals = async (): Promise<Array<Record<string, unknown>>> =>
    (await readFile(fed.node('FR').logFile, 'utf8'))
      .split('\n')
      .filter((line) => line.includes('"directory.own-record-refused"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)

  const directoryState = async (): Promise<Health['directory']> =>
    (await runCliJson<Health>(fed.node('FR'), ['status', '--json'])).directory

  it('logs the refusal once, with the file, the field, the rule and the fix, and runs on', async () => {
    onTestFailed(async () => console.log(await federationLogs(fed.nodes)))
    const [line] = await waitFor(async () => {
      const found = await refusals()
      return found.length > 0 && found
    }, 'FR to log the refused record')
    expect(line).toMatchObject({
      level: 'error',
      reason: 'record-refused',
      file: contactPath,
      field: 'timeZone',
    })
    expect(String(line!.rule)).toContain(`"${OLD_ZONE}" is refused`)
    expect(String(line!.fix)).toContain('pocnet directory publish')

    const state = await directoryState()
    expect(state).toMatchObject({
      state: 'not-published',
      lastPublished: null,
      problem: { reason: 'record-refused', file: contactPath, field: 'timeZone' },
    })

    const text = await runCli(fed.node('FR'), ['status'])
    expect(text.code).toBe(0)
    expect(text.stdout).toMatch(
      /^WARNING: not in the directory since .*, so no member can send this node requests/m,
    )
    expect(text.stdout).toContain(`${contactPath}, field timeZone: "${OLD_ZONE}" is refused`)
    expect(text.stdout).toMatch(
      /^ {2}directory {6}not published \(record-refused\); never published since start$/m,
    )
  })

  it('`pocnet directory publish` refuses the same value with the same words, logged no second time', async () => {
    const r = await runCli(fed.node('FR'), ['directory', 'publish'])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain(`field timeZone: "${OLD_ZONE}" is refused`)
    expect(r.stderr).toContain(`edit "timeZone" in ${contactPath}`)
    expect(await refusals()).toHaveLength(1)
  })

  it('publishes the fixed contact.json without a restart', async () => {
    const fr = fed.node('FR')
    const before = (await directoryState()).problem!.since
    const contact = JSON.parse(await readFile(contactPath, 'utf8')) as Record<string, unknown>
    await writeFile(contactPath, JSON.stringify({ ...contact, timeZone: 'Europe/Moscow' }))
    // stored by a peer once DE is connected: a publish before that is issued but stored by none
    await waitFor(async () => {
      const r = await runCliJson<{ storedBy: number }>(fr, ['directory', 'publish', '--json'])
      return r.storedBy > 0
    }, 'FR to publish its fixed record to DE')
    const state = await directoryState()
    expect(state.state).toBe('published')
    expect(state.problem).toBeNull()
    expect(state.lastPublished!.at).toBeGreaterThanOrEqual(before)
    const text = await runCli(fr, ['status'])
    expect(text.stdout).not.toContain('WARNING')
    expect(text.stdout).toMatch(/^ {2}directory {6}published seq \d+ at .* \(stored by \d+ peers?\)$/m)
    const shown = await runCliJson<{ record: { timeZone: string } }>(fed.node('DE'), [
      'directory',
      'show',
      'FR',
      '--json',
    ])
    expect(shown.record.timeZone).toBe('Europe/Moscow')
  })
})
