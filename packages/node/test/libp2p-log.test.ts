import { describe, expect, it } from 'vitest'
import { libp2pLogger } from '../src/libp2p-log.ts'
import { createLogger, type LogLevel, LogThrottle } from '../src/log.ts'

function setup(level: LogLevel = 'info') {
  const lines: string[] = []
  let now = 1_000_000
  const log = createLogger({ level, write: (l) => lines.push(l) }).child('libp2p')
  const logger = libp2pLogger(log, { throttle: new LogThrottle({ everyMs: 10_000, now: () => now }) })
  const records = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>)
  return { logger, records, advance: (ms: number) => (now += ms) }
}

describe('libp2p logs in the node log', () => {
  it("writes a library component's error once per period as a warn, with the count so far", () => {
    const { logger, records, advance } = setup()
    const dht = logger.forComponent('libp2p:kad-dht')
    for (let i = 0; i < 3; i++)
      dht.error('republish of %s failed: %e', '/pocnet/dir/IT', new Error(`boom ${i}`))
    expect(records()).toEqual([
      expect.objectContaining({
        level: 'warn',
        component: 'node.libp2p',
        event: 'libp2p.warn',
        scope: 'libp2p:kad-dht',
        message: 'republish of /pocnet/dir/IT failed: Error: boom 0',
        occurrences: 1,
      }),
    ])
    advance(10_000)
    dht.error('republish of %s failed: %e', '/pocnet/dir/IT', new Error('boom 3'))
    expect(records()).toHaveLength(2)
    expect(records()[1]).toMatchObject({
      message: 'republish of /pocnet/dir/IT failed: Error: boom 3',
      occurrences: 4,
    })
  })

  it("writes pocnet's own components' errors as errors, and scopes below a component", () => {
    const { logger, records } = setup()
    logger
      .forComponent('pocnet:directory')
      .newScope('republish')
      .error('republish failed: %e', new Error('x'))
    expect(records()[0]).toMatchObject({
      level: 'error',
      event: 'libp2p.error',
      scope: 'pocnet:directory:republish',
    })
  })

  it('drops log and trace below debug, and says so to libp2p', () => {
    const quiet = setup('info')
    const component = quiet.logger.forComponent('libp2p:dialer')
    component('dialing %p', 'peer')
    component.trace('frame')
    expect(component.enabled).toBe(false)
    expect(quiet.records()).toEqual([])

    const verbose = setup('debug')
    const dialer = verbose.logger.forComponent('libp2p:dialer')
    expect(dialer.enabled).toBe(true)
    dialer('dialing %a', { toString: () => '/ip4/127.0.0.1/tcp/1' })
    expect(verbose.records()[0]).toMatchObject({ level: 'debug', message: 'dialing /ip4/127.0.0.1/tcp/1' })
  })

  it('describes bytes and objects by their kind, never their contents', () => {
    const { logger, records } = setup()
    const secret = new TextEncoder().encode('the suspect is at 10 Downing St')
    logger
      .forComponent('libp2p:yamux')
      .error('bad frame %b from %o', secret, { key: 'hunter2' }, ['x'], secret)
    const { message } = records()[0] as { message: string }
    expect(message).toBe(
      `bad frame <${secret.length} bytes> from [Object] [array of 1] <${secret.length} bytes>`,
    )
  })

  it('throttles a line whose text names peers as one line', () => {
    const { logger, records } = setup()
    const gater = logger.forComponent('libp2p:connection-manager')
    gater.error('refused 12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo at port 4001')
    gater.error('refused 12D3KooWSHUapdS3fCx5vK3YVmFW6PrFr1uStTfQ2U3SxAyFazmj at port 4002')
    expect(records()).toHaveLength(1)
  })
})
