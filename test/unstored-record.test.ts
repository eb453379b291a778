import type { Health } from '@pocnet/node'
import {
  createFederation,
  type Federation,
  federationLogs,
  runCliJson,
  spawnNode,
  stopNode,
  waitFor,
} from '@pocnet/test-utils'
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest'

// The first node of a federation to start issues its directory record to no peer (`unstored`).
// It must not wait for its republish timer, hours later: once a member connects, the record is
// sent again and stored there, so that it is found with FR itself down.

describe('a record no peer held at start', () => {
  let fed: Federation

  beforeAll(async () => {
    fed = await createFederation({ countries: ['FR', 'DE'] })
  })

  afterAll(async () => {
    await fed?.cleanup()
  })

  const directoryOf = async (country: string): Promise<Health['directory']> =>
    (await runCliJson<Health>(fed.node(country), ['status', '--json'])).directory

  it('is stored by the first member to connect, and found there with its owner down', async () => {
    onTestFailed(async () => console.log(await federationLogs(fed.nodes)))
    const fr = fed.node('FR')
    await spawnNode(fr)
    const alone = await waitFor(async () => {
      const d = await directoryOf('FR')
      return d.state !== 'pending' && d
    }, 'FR to end its first publication')
    expect(alone).toMatchObject({ state: 'unstored', problem: { reason: 'not-stored' } })

    await spawnNode(fed.node('DE'))
    const published = await waitFor(
      async () => {
        const d = await directoryOf('FR')
        return d.state === 'published' && d
      },
      { timeoutMs: 120_000, intervalMs: 500, description: 'FR to send its record again once DE connected' },
    )
    expect(published.lastPublished!.storedBy).toBeGreaterThanOrEqual(1)
    // the record issued at start, sent again: not a new one
    const issued = /record seq (\d+) was issued/.exec(alone.problem!.rule)
    expect(published.lastPublished!.seq).toBe(Number(issued![1]))
    expect(published.problem).toBeNull()

    await stopNode(fr)
    const shown = await runCliJson<{ record: { country: string } }>(fed.node('DE'), [
      'directory',
      'show',
      'FR',
      '--json',
    ])
    expect(shown.record.country).toBe('FR')
  })
})
