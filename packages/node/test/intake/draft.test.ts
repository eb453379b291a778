import { describe, expect, it } from 'vitest'
import {
  allowedActions,
  applyIntakeChange,
  DRAFT_STATUSES,
  type Draft,
  type DraftStatus,
  IllegalIntakeMoveError,
  INTAKE_ACTIONS,
  type IntakeAction,
  type IntakeChange,
  InvalidIntakeChangeError,
} from '../../src/intake/draft.ts'

const AT = '2026-12-06T10:00:00.000Z'

/** A change with every field its action needs, made by `by`. */
function change(action: IntakeAction, by = 'ivan', extra: Partial<IntakeChange> = {}): IntakeChange {
  return {
    draftId: 'D-1',
    action,
    at: AT,
    by,
    ...(action === 'drafted' || action === 'revised' ? { to: 'FR', request: { form: 1 } } : {}),
    ...(action === 'returned' || action === 'refused' ? { note: 'say which logs' } : {}),
    ...(action === 'approved' ? { caseId: 'IT-20261206-0000abcd' } : {}),
    ...extra,
  }
}

/** A draft by ivan in `status`. */
function draftIn(status: DraftStatus): Draft {
  return { ...applyIntakeChange(undefined, change('drafted')), status }
}

/** The only moves the machine allows: by the author, then by a reviewer on a submitted draft. */
const LEGAL: Record<DraftStatus, IntakeAction[]> = {
  draft: ['revised', 'submitted'],
  submitted: ['returned', 'refused', 'approved'],
  returned: ['revised', 'submitted'],
  refused: [],
  approved: [],
}
const REVIEWER_MOVES = new Set<IntakeAction>(['returned', 'refused', 'approved'])

describe('the intake state machine', () => {
  it('opens a draft, by its author, at revision 1', () => {
    expect(applyIntakeChange(undefined, change('drafted'))).toEqual({
      id: 'D-1',
      owner: 'ivan',
      to: 'FR',
      request: { form: 1 },
      status: 'draft',
      createdAt: AT,
      updatedAt: AT,
      revision: 1,
      caseId: null,
      steps: [{ action: 'drafted', at: AT, by: 'ivan' }],
      damaged: false,
    })
    for (const action of INTAKE_ACTIONS.filter((a) => a !== 'drafted'))
      expect(() => applyIntakeChange(undefined, change(action))).toThrow(InvalidIntakeChangeError)
  })

  it('allows exactly the listed moves from every status, and leaves the draft as it was when refusing one', () => {
    for (const status of DRAFT_STATUSES) {
      expect(allowedActions(status)).toEqual(LEGAL[status])
      for (const action of INTAKE_ACTIONS) {
        const before = draftIn(status)
        const copy = structuredClone(before)
        const by = REVIEWER_MOVES.has(action) ? 'rita' : 'ivan'
        if (LEGAL[status].includes(action)) {
          const after = applyIntakeChange(before, change(action, by))
          expect(after.steps.at(-1)).toMatchObject({ action, by })
        } else {
          const err = (() => {
            try {
              applyIntakeChange(before, change(action, by))
            } catch (e) {
              return e
            }
          })()
          expect(err, `${action} from ${status}`).toBeInstanceOf(IllegalIntakeMoveError)
          if (err instanceof IllegalIntakeMoveError) {
            expect(err.message).toBe(`draft D-1 is ${status}: it cannot be ${action}`)
            expect(err.allowed).toEqual(LEGAL[status])
          }
        }
        expect(before).toEqual(copy)
      }
    }
  })

  it('goes draft → submitted → returned → revised → submitted → approved, keeping the comments and the case', () => {
    let d = applyIntakeChange(undefined, change('drafted'))
    d = applyIntakeChange(d, change('submitted'))
    d = applyIntakeChange(d, change('returned', 'rita', { note: 'name the provider' }))
    expect(d.status).toBe('returned')
    d = applyIntakeChange(d, change('revised', 'ivan', { to: 'DE', request: { form: 2 } }))
    expect(d).toMatchObject({ status: 'draft', revision: 2, to: 'DE', request: { form: 2 } })
    d = applyIntakeChange(d, change('submitted'))
    d = applyIntakeChange(d, change('approved', 'rita', { caseId: 'IT-1' }))
    expect(d).toMatchObject({ status: 'approved', caseId: 'IT-1', owner: 'ivan' })
    expect(d.steps.map((s) => s.action)).toEqual([
      'drafted',
      'submitted',
      'returned',
      'revised',
      'submitted',
      'approved',
    ])
    expect(d.steps[2]).toEqual({ action: 'returned', at: AT, by: 'rita', note: 'name the provider' })
  })

  it("refuses the author's moves by anyone else, and changes missing what their action needs", () => {
    expect(() => applyIntakeChange(draftIn('draft'), change('submitted', 'mallory'))).toThrow(
      'draft D-1: only its author, ivan, may have it submitted',
    )
    expect(() => applyIntakeChange(draftIn('submitted'), change('returned', 'rita', { note: '' }))).toThrow(
      "draft D-1: returned needs the reviewer's words",
    )
    expect(() =>
      applyIntakeChange(draftIn('submitted'), { ...change('approved', 'rita'), caseId: undefined }),
    ).toThrow('draft D-1: approved needs the case it opened')
    expect(() => applyIntakeChange(draftIn('draft'), { ...change('revised'), request: undefined })).toThrow(
      'draft D-1: revised needs the country and the form',
    )
  })
})
