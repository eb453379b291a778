import { ProtocolError } from '../errors.ts'
import { EXCHANGE_FAILURES, type ExchangeFailure, streamFailureOf } from './failures.ts'

/**
 * A request/response exchange failed: `failure` says how (EXCHANGE_FAILURES), `cause` is the
 * underlying error. The message names the protocol and what the failure means.
 */
export class ExchangeError extends ProtocolError {
  readonly failure: ExchangeFailure
  readonly protocol: string
  constructor(failure: ExchangeFailure, protocol: string, cause?: unknown) {
    const detail = cause instanceof Error ? `: ${cause.message}` : ''
    super('ERR_EXCHANGE', `${protocol}: ${failure} (${EXCHANGE_FAILURES[failure]})${detail}`)
    this.failure = failure
    this.protocol = protocol
    if (cause !== undefined) this.cause = cause
  }

  /** `err` as an ExchangeError: itself if it is one, else wrapped with the failure its stream error stands for. */
  static of(err: unknown, protocol: string): ExchangeError {
    return err instanceof ExchangeError ? err : new ExchangeError(streamFailureOf(err), protocol, err)
  }
}
