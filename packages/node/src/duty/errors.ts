import { DataFileError, NodeError } from '../errors.ts'

/** A duty roster change refused: names the field and the rule, with what to do instead. */
export class DutyError extends NodeError {
  readonly hint: string | undefined
  /** 404 for something the roster does not hold, 400 otherwise. */
  readonly status: 400 | 404
  constructor(code: string, message: string, opts: { hint?: string; status?: 400 | 404 } = {}) {
    super(code, message)
    this.hint = opts.hint
    this.status = opts.status ?? 400
  }
}

/** duty.json is there but is not a duty roster. */
export class DutyFileError extends DataFileError {
  constructor(path: string, problem: string) {
    super(
      'ERR_DUTY_FILE',
      path,
      'the duty roster',
      problem,
      'restore duty.json from a backup, or fix the field named (the node writes it whole, so only a hand edit or a damaged disk does this)',
    )
  }
}
