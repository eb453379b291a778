import { NodeError } from '../errors.ts'

/** No drill received by this node has this id (or more than one starts with the prefix given). */
export class DrillNotFoundError extends NodeError {
  readonly hint = '`pocnet drills` lists the drills received and their ids'
  constructor(ref: string, ambiguous: boolean) {
    super(
      'ERR_NO_SUCH_DRILL',
      ambiguous
        ? `drill ${ref}: more than one drill received starts so, give more of its id`
        : `drill ${ref}: no drill received by this node has that id`,
    )
  }
}

/** The drill was answered already: acknowledged by an officer, or refused by the node. */
export class DrillAnsweredError extends NodeError {
  readonly hint = 'a drill is answered once; `pocnet drills` shows who answered and when'
  constructor(id: string, answer: string, by: string) {
    super(
      'ERR_DRILL_ANSWERED',
      `drill ${id}: already ${answer === 'ack' ? 'acknowledged' : 'refused'} by ${by}`,
    )
  }
}
