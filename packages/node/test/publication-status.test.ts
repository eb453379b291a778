import type { PublishResult } from '@pocnet/directory'
import { describe, expect, it } from 'vitest'
import { foundProblem, PublicationStatus } from '../src/daemon/publication-status.ts'
import { createLogger } from '../src/log.ts'

const refused = foundProblem({
  reason: 'record-refused',
  file: '/data/contact.json',
  field: 'timeZone',
  rule: '"Etc/GMT-3" is refused',
  fix: 'edit "timeZone" in /data/contact.json, then run `pocnet directory publish`',
})

function statusAt(): {
  status: PublicationStatus
  lines: Array<Record<string, unknown>>
  clock: { now: number }
} {
  const lines: Array<Record<string, unknown>> = []
  const clock = { now: 1_000 }
  const log = createLogger({ level: 'debug', write: (l) => lines.push(JSON.parse(l)) })
  return { status: new PublicationStatus({ log, now: () => clock.now }), lines, clock }
}

describe('the status of the own record publication', () => {
  it('is pending until an attempt ends', () => {
    expect(statusAt().status.current).toEqual({ state: 'pending', lastPublished: null, problem: null })
  })

  it('logs a problem once and keeps its since while attempts keep meeting it', () => {
    const { status, lines, clock } = statusAt()
    status.failed(refused)
    clock.now = 2_000
    status.failed(refused)
    expect(status.current).toMatchObject({ state: 'not-published', problem: { ...refused, since: 1_000 } })
    expect(lines.filter((l) => l.event === 'directory.own-record-refused')).toHaveLength(1)
    expect(lines[0]).toMatchObject({ level: 'error', file: '/data/contact.json', field: 'timeZone' })
    expect(refused.message).toBe(
      `this node's directory record is not published: /data/contact.json, field timeZone: "Etc/GMT-3" is refused; fix: ${refused.fix}`,
    )
  })

  it('keeps the last published record through a later failure, and clears the problem when published', () => {
    const { status, lines, clock } = statusAt()
    status.issued(7, 2)
    clock.now = 5_000
    status.publishFailed(new Error('query aborted'))
    expect(status.current).toMatchObject({
      state: 'not-published',
      lastPublished: { at: 1_000, seq: 7, storedBy: 2 },
      problem: { reason: 'publish-failed', rule: 'query aborted', since: 5_000 },
    })
    expect(lines.filter((l) => l.event === 'directory.publish-failed')).toHaveLength(1)
    status.onRepublished({ result: { record: { seq: 8 }, storedBy: 1 } as unknown as PublishResult })
    expect(status.current).toEqual({
      state: 'published',
      lastPublished: { at: 5_000, seq: 8, storedBy: 1 },
      problem: null,
    })
  })

  it('calls a record stored by no peer unstored, with its reason', () => {
    const { status, lines } = statusAt()
    status.issued(3, 0)
    expect(status.current).toMatchObject({
      state: 'unstored',
      lastPublished: null,
      problem: { reason: 'not-stored', field: null },
    })
    expect(status.current.problem!.message).toMatch(/^this node's directory record is stored by no peer: /)
    expect(lines).toHaveLength(0)
  })
})
