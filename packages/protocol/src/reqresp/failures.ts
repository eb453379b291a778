import {
  FrameCutShortError,
  FrameOverBudgetError,
  FrameTooLargeError,
  LengthPrefixTooLongError,
} from '../errors.ts'

/**
 * Why a request/response exchange failed, on either side, with what each name means: the one
 * vocabulary of the delivery, dir-fetch and roster protocols. `pocnet status`, the log lines and
 * docs/operations.md use these names as they are.
 */
export const EXCHANGE_FAILURES = {
  'dial-failed': 'no stream to the peer could be opened',
  'malformed-length-prefix': 'a length prefix is longer than any allowed length could need',
  'frame-too-large': 'a length prefix announces more than the size cap',
  'over-budget': "a frame would take the peer past its share of the node's frame budget, or the node past it",
  deadline: 'a frame did not arrive or leave within the deadline',
  aborted: 'this node gave up on the exchange',
  'unexpected-end': 'the stream ended before a whole frame',
  'stream-reset': 'the peer reset the stream',
  'stream-error': 'the stream failed otherwise',
  'decode-failed': 'a frame is not a valid request or response of the protocol',
  'handler-failed': 'this node failed to answer the request',
} as const satisfies Record<string, string>

export type ExchangeFailure = keyof typeof EXCHANGE_FAILURES

export function isExchangeFailure(value: unknown): value is ExchangeFailure {
  return typeof value === 'string' && Object.hasOwn(EXCHANGE_FAILURES, value)
}

/**
 * The failure an error from reading or writing a stream stands for. libp2p's stream errors are
 * told apart by name: they are classes of @libp2p/utils and @libp2p/interface, and the
 * DOMExceptions of an aborted signal have no class of their own.
 */
export function streamFailureOf(err: unknown): ExchangeFailure {
  if (err instanceof LengthPrefixTooLongError) return 'malformed-length-prefix'
  if (err instanceof FrameTooLargeError) return 'frame-too-large'
  if (err instanceof FrameOverBudgetError) return 'over-budget'
  if (err instanceof FrameCutShortError) return 'unexpected-end'
  const name = (err as { name?: unknown } | undefined)?.name
  switch (name) {
    case 'InvalidDataLengthLengthError':
    case 'InvalidMessageLengthError':
      return 'malformed-length-prefix'
    case 'InvalidDataLengthError':
    case 'StreamBufferError':
      return 'frame-too-large'
    case 'TimeoutError':
      return 'deadline'
    case 'AbortError':
      return 'aborted'
    case 'UnexpectedEOFError':
      return 'unexpected-end'
    case 'StreamResetError':
      return 'stream-reset'
    default:
      return 'stream-error'
  }
}
