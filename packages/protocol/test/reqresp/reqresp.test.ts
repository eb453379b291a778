import { readFileSync } from 'node:fs'
import type { Connection, Stream } from '@libp2p/interface'
import { describe, expect, it } from 'vitest'
import {
  FrameCutShortError,
  FrameOverBudgetError,
  FrameTooLargeError,
  LengthPrefixTooLongError,
} from '../../src/index.ts'
import {
  EXCHANGE_FAILURES,
  ExchangeError,
  type ExchangeFailure,
  framesOf,
  isExchangeFailure,
  RequestStreams,
  type Responder,
  requestOnce,
  type ServeOptions,
  serveRequests,
  streamFailureOf,
} from '../../src/reqresp/index.ts'
import { type PeerPair, peerPair, varint } from '../fixtures/peers.ts'

const PROTOCOL = '/test/echo/1.0.0'
const MAX_REQUEST = 1024
const MAX_RESPONSE = 4096
/** Long enough that an honest exchange never meets it on a loaded machine; the deadline tests shorten it. */
const TIMEOUT_MS = 10_000
const SHORT_TIMEOUT_MS = 100
const text = (s: string) => new TextEncoder().encode(s)
const str = (b: Uint8Array) => new TextDecoder().decode(b)

/** Echoes the request upper-cased; "fail" cannot be decoded and "crash" makes the answer throw. */
const upperCase: Responder<string> = {
  decode(frame) {
    const s = str(frame)
    if (s === 'fail') throw new Error('not a request')
    return s
  },
  async answer(request) {
    if (request === 'crash') throw new Error('handler crashed')
    return text(request.toUpperCase())
  },
}

interface Served extends PeerPair {
  failures: ExchangeError[]
  refused: Connection[]
}

async function serve(options: Partial<ServeOptions> = {}, responder: Responder<string> = upperCase) {
  const pair = peerPair()
  const served: Served = { ...pair, failures: [], refused: [] }
  await serveRequests(pair.server, PROTOCOL, responder, {
    maxRequestBytes: MAX_REQUEST,
    timeoutMs: TIMEOUT_MS,
    maxInboundStreams: 4,
    requestsPerStream: 1,
    onFailure: (error) => served.failures.push(error),
    onStreamRefused: (connection) => served.refused.push(connection),
    ...options,
  })
  return served
}

const ask = (
  pair: PeerPair,
  request: string,
  options: { signal?: AbortSignal; maxResponseBytes?: number } = {},
) =>
  requestOnce(pair.client, {} as never, PROTOCOL, text(request), {
    maxResponseBytes: options.maxResponseBytes ?? MAX_RESPONSE,
    signal: options.signal ?? AbortSignal.timeout(TIMEOUT_MS),
    decode: str,
  })

/** The failure an exchange ended with on the asking side. */
const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => 'no failure',
    (err: unknown) => (err instanceof ExchangeError ? err.failure : `not an ExchangeError: ${String(err)}`),
  )

/** A raw stream to the server, for sending what no honest peer would. */
const rawStream = (pair: PeerPair): Promise<Stream> =>
  pair.client.dialProtocol({} as never, PROTOCOL, { signal: AbortSignal.timeout(TIMEOUT_MS) })

async function untilFailures(served: Served, n: number): Promise<ExchangeFailure[]> {
  const guard = AbortSignal.timeout(TIMEOUT_MS)
  while (served.failures.length < n && !guard.aborted) await new Promise((r) => setTimeout(r, 5))
  return served.failures.map((f) => f.failure)
}

describe('the failure vocabulary', () => {
  it('names each failure once, with what it means', () => {
    for (const [name, meaning] of Object.entries(EXCHANGE_FAILURES)) {
      expect(name).toMatch(/^[a-z]+(-[a-z]+)*$/)
      expect(meaning.length).toBeGreaterThan(0)
      expect(isExchangeFailure(name)).toBe(true)
    }
    expect(isExchangeFailure('timeout')).toBe(false)
    expect(isExchangeFailure('toString')).toBe(false)
  })

  it('docs/protocol.md §8.1 lists exactly these failures', () => {
    const docs = readFileSync(new URL('../../../../docs/protocol.md', import.meta.url), 'utf8')
    const section = docs.slice(docs.indexOf('### 8.1'), docs.indexOf('## 9.'))
    const listed = [...section.matchAll(/^\| `([a-z-]+)` /gm)].map((m) => m[1])
    expect(listed).toEqual(Object.keys(EXCHANGE_FAILURES))
  })

  it.each([
    ['LengthPrefixTooLongError', new LengthPrefixTooLongError(2), 'malformed-length-prefix'],
    ['InvalidDataLengthLengthError', named('InvalidDataLengthLengthError'), 'malformed-length-prefix'],
    ['InvalidDataLengthError', named('InvalidDataLengthError'), 'frame-too-large'],
    ['FrameTooLargeError', new FrameTooLargeError('a frame', 2, 1), 'frame-too-large'],
    ['FrameOverBudgetError', new FrameOverBudgetError('peer', 2, 'share', 1), 'over-budget'],
    ['FrameCutShortError', new FrameCutShortError(1, 2), 'unexpected-end'],
    ['StreamBufferError', named('StreamBufferError'), 'frame-too-large'],
    ['TimeoutError', new DOMException('late', 'TimeoutError'), 'deadline'],
    ['AbortError', new DOMException('gave up', 'AbortError'), 'aborted'],
    ['UnexpectedEOFError', named('UnexpectedEOFError'), 'unexpected-end'],
    ['StreamResetError', named('StreamResetError'), 'stream-reset'],
    ['any other error', named('SomethingElseError'), 'stream-error'],
    ['a thrown string', 'not even an error', 'stream-error'],
  ])('a stream error (%s) is %s', (_label, err, failure) => {
    expect(streamFailureOf(err)).toBe(failure)
  })

  it('an ExchangeError names the protocol, the failure and what it means, and keeps its cause', () => {
    const cause = named('UnexpectedEOFError')
    const error = ExchangeError.of(cause, PROTOCOL)
    expect(error).toMatchObject({
      code: 'ERR_EXCHANGE',
      failure: 'unexpected-end',
      protocol: PROTOCOL,
      cause,
    })
    expect(error.message).toBe(`${PROTOCOL}: unexpected-end (${EXCHANGE_FAILURES['unexpected-end']}): boom`)
    expect(ExchangeError.of(error, 'other')).toBe(error)
  })
})

describe('requestOnce and serveRequests', () => {
  it('one request, one response, then the stream is closed', async () => {
    const served = await serve()
    expect(await ask(served, 'hello')).toBe('HELLO')
    expect(await ask(served, 'again')).toBe('AGAIN')
    expect(served.served).toHaveLength(2)
    expect(served.failures).toEqual([])
  })

  it('a request the responder cannot decode: decode-failed, unanswered', async () => {
    const served = await serve()
    expect(await failureOf(ask(served, 'fail'))).not.toBe('no failure')
    expect(await untilFailures(served, 1)).toEqual(['decode-failed'])
    expect(served.failures[0]!.cause).toMatchObject({ message: 'not a request' })
  })

  it('an answer that throws: handler-failed, unanswered', async () => {
    const served = await serve()
    expect(await failureOf(ask(served, 'crash'))).not.toBe('no failure')
    expect(await untilFailures(served, 1)).toEqual(['handler-failed'])
  })

  it('a length prefix that never ends: malformed-length-prefix, once it outgrew the cap', async () => {
    const served = await serve()
    const stream = await rawStream(served)
    // 1 KiB needs 2 prefix bytes: the 3rd continuation byte is garbage, and the stream stays open
    stream.send(Uint8Array.from([0xff, 0xff, 0xff, 0xff]))
    expect(await untilFailures(served, 1)).toEqual(['malformed-length-prefix'])
  })

  it('a length over the request cap: frame-too-large, before the body arrives', async () => {
    const served = await serve()
    const stream = await rawStream(served)
    stream.send(varint(MAX_REQUEST + 1))
    expect(await untilFailures(served, 1)).toEqual(['frame-too-large'])
  })

  it('a request cut short: unexpected-end', async () => {
    const served = await serve()
    const stream = await rawStream(served)
    stream.send(Uint8Array.from([...varint(10), 1, 2, 3]))
    await stream.close()
    expect(await untilFailures(served, 1)).toEqual(['unexpected-end'])
  })

  it('a stream the sender resets mid-frame: stream-reset', async () => {
    const served = await serve()
    const stream = await rawStream(served)
    stream.send(Uint8Array.from([...varint(10), 1, 2, 3]))
    await new Promise((r) => setTimeout(r, 20))
    stream.abort(new Error('gone'))
    expect(await untilFailures(served, 1)).toEqual(['stream-reset'])
  })

  it('no request before the deadline: deadline', async () => {
    const served = await serve({ timeoutMs: SHORT_TIMEOUT_MS })
    await rawStream(served)
    expect(await untilFailures(served, 1)).toEqual(['deadline'])
  })

  it('streams over the per-connection cap are refused unread, and counted', async () => {
    const served = await serve({ maxInboundStreams: 1 })
    const held = await rawStream(served)
    const over = await rawStream(served)
    const closed = new Promise((resolve) => over.addEventListener('close', resolve))
    await closed
    expect(served.refused).toEqual([served.connection])
    held.abort(new Error('done'))
  })

  it('asking a peer that does not serve the protocol: dial-failed', async () => {
    const pair = peerPair()
    expect(await failureOf(ask(pair, 'hello'))).toBe('dial-failed')
  })

  it('a response over the asker cap: frame-too-large', async () => {
    const served = await serve()
    expect(await failureOf(ask(served, 'x'.repeat(100), { maxResponseBytes: 99 }))).toBe('frame-too-large')
  })

  it('a response that does not come: deadline; the asker giving up: aborted', async () => {
    let release = () => {}
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const slow: Responder<string> = {
      decode: str,
      answer: async (r) => {
        await held
        return text(r)
      },
    }
    const served = await serve({}, slow)
    expect(await failureOf(ask(served, 'a', { signal: AbortSignal.timeout(SHORT_TIMEOUT_MS) }))).toBe(
      'deadline',
    )
    const asker = new AbortController()
    const asked = failureOf(ask(served, 'b', { signal: asker.signal }))
    asker.abort()
    expect(await asked).toBe('aborted')
    release()
  })

  it('a response at a cap over 4 MiB (a roster answer) is read whole', async () => {
    const cap = 4 * 1024 * 1024 + 64
    const pair = peerPair()
    await serveRequests(
      pair.server,
      PROTOCOL,
      { decode: (frame) => frame, answer: async () => new Uint8Array(cap).fill(1) },
      { maxRequestBytes: MAX_REQUEST, timeoutMs: TIMEOUT_MS, maxInboundStreams: 1, requestsPerStream: 1 },
    )
    const answer = await requestOnce(pair.client, {} as never, PROTOCOL, text('chain?'), {
      maxResponseBytes: cap,
      signal: AbortSignal.timeout(TIMEOUT_MS),
      decode: (frame) => frame,
    })
    expect(answer.length).toBe(cap)
  })

  it('a response the asker cannot decode: decode-failed', async () => {
    const served = await serve()
    const asked = requestOnce(served.client, {} as never, PROTOCOL, text('hello'), {
      maxResponseBytes: MAX_RESPONSE,
      signal: AbortSignal.timeout(TIMEOUT_MS),
      decode: () => {
        throw new Error('not a response')
      },
    })
    expect(await failureOf(asked)).toBe('decode-failed')
  })
})

describe('RequestStreams and streams that carry many requests', () => {
  const peer = { toString: () => 'server-peer' } as never

  it('requests reuse one stream; the sender closing it after an answer is no failure', async () => {
    const served = await serve({ requestsPerStream: Number.POSITIVE_INFINITY })
    const streams = new RequestStreams(served.client, PROTOCOL, {
      maxResponseBytes: MAX_RESPONSE,
      timeoutMs: TIMEOUT_MS,
    })
    for (const word of ['one', 'two', 'three'])
      expect(str(await streams.request(peer, peer, text(word)))).toBe(word.toUpperCase())
    expect(served.served).toHaveLength(1)
    await streams.close()
    await new Promise((resolve) => served.served[0]!.addEventListener('close', resolve))
    expect(served.failures).toEqual([])
  })

  it('going quiet past the deadline after an answer ends the stream, as no failure', async () => {
    const served = await serve({ requestsPerStream: Number.POSITIVE_INFINITY, timeoutMs: SHORT_TIMEOUT_MS })
    const stream = await rawStream(served)
    const frames = framesOf(stream, MAX_RESPONSE)
    await frames.write(text('hi'))
    expect(str((await frames.read()).subarray())).toBe('HI')
    // the server closes its side (the sender's side is the sender's to close)
    const guard = AbortSignal.timeout(TIMEOUT_MS)
    while (served.served[0]!.writeStatus === 'writable' && !guard.aborted)
      await new Promise((r) => setTimeout(r, 5))
    expect(served.served[0]!.writeStatus).not.toBe('writable')
    expect(served.failures).toEqual([])
    stream.abort(new Error('done'))
  })

  it('a failed exchange is an ExchangeError', async () => {
    const served = await serve({ requestsPerStream: Number.POSITIVE_INFINITY })
    const streams = new RequestStreams(served.client, PROTOCOL, {
      maxResponseBytes: 1,
      timeoutMs: TIMEOUT_MS,
    })
    expect(await failureOf(streams.request(peer, peer, text('too long an answer')))).toBe('frame-too-large')
  })
})

function named(name: string): Error {
  const err = new Error('boom')
  err.name = name
  return err
}
