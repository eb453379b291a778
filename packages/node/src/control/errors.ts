import { NodeError } from '../errors.ts'

/** A control API failure with an HTTP-like status; `hint` tells the user what to do next. */
export class ControlApiError extends NodeError {
  readonly status: number
  readonly hint: string | undefined
  readonly details: unknown
  constructor(
    status: number,
    code: string,
    message: string,
    opts: { hint?: string; details?: unknown } = {},
  ) {
    super(code, message)
    this.status = status
    this.hint = opts.hint
    this.details = opts.details
  }
}
