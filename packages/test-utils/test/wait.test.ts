import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { freePort, freePorts, WaitTimeoutError, waitFor } from '../src/index.ts'

describe('waitFor', () => {
  it('returns the first truthy value, retrying falsy results and errors', async () => {
    let calls = 0
    const value = await waitFor(
      () => {
        calls++
        if (calls === 1) throw new Error('not yet')
        return calls >= 3 ? { calls } : undefined
      },
      { timeoutMs: 10_000, intervalMs: 1 },
    )
    expect(value).toEqual({ calls: 3 })
  })

  it('gives up with the description and the last error', async () => {
    const err = await waitFor(
      () => {
        throw new Error('still down')
      },
      { timeoutMs: 50, intervalMs: 5, description: 'the impossible' },
    ).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WaitTimeoutError)
    expect((err as Error).message).toMatch(/the impossible.*still down/)
  })

  it('takes a description alone, with the default timeout', async () => {
    let calls = 0
    await expect(waitFor(() => ++calls === 2, 'the second call')).resolves.toBe(true)
  })
})

describe('freePort', () => {
  it('hands out distinct ports that can be bound', async () => {
    const ports = await freePorts(5)
    expect(new Set(ports).size).toBe(5)
    const port = await freePort()
    const server = createServer()
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => resolve())
    })
    await new Promise((resolve) => server.close(resolve))
  })
})
