/**
 * The request/response layer of pocnet's libp2p protocols (delivery, dir-fetch, roster): one
 * length-prefixed request and one length-prefixed response per exchange, a size cap on each
 * (enforced on the length prefix, before any body is read), a deadline on each, a node-wide
 * budget for the bytes of frames being read (FrameBudget), and one
 * vocabulary for how an exchange failed (EXCHANGE_FAILURES).
 */
export { ExchangeError } from './exchange-error.ts'
export { EXCHANGE_FAILURES, type ExchangeFailure, isExchangeFailure, streamFailureOf } from './failures.ts'
export { FrameBudget, type FrameBudgetInit, type FrameBudgetLimits } from './frame-budget.ts'
export { type FrameCharge, FrameReader } from './frame-reader.ts'
export { type Frames, framesOf } from './frames.ts'
export { type RequestOnceOptions, requestOnce } from './request.ts'
export { RequestStreams, type RequestStreamsLimits } from './request-streams.ts'
export { type Responder, type ServeOptions, serveRequests } from './serve.ts'
