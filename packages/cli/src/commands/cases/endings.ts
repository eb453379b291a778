import { MLA_DECISIONS, NOT_EXECUTED_REASONS } from '@pocnet/cases'
import { type Command, Option } from 'commander'
import { Context } from '../../context.ts'
import { UsageError } from '../../errors.ts'
import { collect, examples } from '../../help.ts'
import { textStep } from './case.ts'
import { postEvent } from './steps.ts'

/**
 * The `pocnet case` steps of a case's endings (docs/cases.md): not executed, release per
 * custodian, the MLA handover, and conditions on use.
 */
export function registerCaseEndings(kase: Command): void {
  examples(
    kase
      .command('not-executed <id>')
      .description(
        'tell the requester the request could not be executed: nothing withheld, nothing to give (requested side)',
      )
      .addOption(
        new Option('--ground <code>', 'why, as coded')
          .choices([...NOT_EXECUTED_REASONS])
          .makeOptionMandatory(),
      )
      .requiredOption('--reason <text>', 'what was found, in words the requester can act on')
      .option('--json', 'print the result as JSON')
      .action(
        async (id: string, flags: { ground: string; reason: string; json?: boolean }, command: Command) => {
          await postEvent(
            Context.of(command),
            id,
            { kind: 'not-executed', reason: flags.ground, explanation: flags.reason },
            flags.json,
          )
        },
      ),
    'pocnet case not-executed IT-20261128-dd69bafb --ground data-already-deleted --reason "Logs are kept 7 days"',
  )

  examples(
    kase
      .command('release <id>')
      .description('the data need no longer be preserved: release one custodian, or all (requester side)')
      .option('--provider-ref <ref>', "the custodian's provider reference")
      .option('--all', 'release every custodian still preserved')
      .option('--reason <text>', 'why, e.g. "data produced under the MLA request"')
      .option('--json', 'print the result as JSON')
      .action(
        async (
          id: string,
          flags: { providerRef?: string; all?: boolean; reason?: string; json?: boolean },
          command: Command,
        ) => {
          if ((flags.providerRef === undefined) === (flags.all !== true))
            throw new UsageError(
              'name one custodian with --provider-ref <ref>, or release every one with --all',
            )
          await postEvent(
            Context.of(command),
            id,
            {
              kind: 'released',
              ...(flags.providerRef === undefined ? {} : { providerReference: flags.providerRef }),
              ...(flags.reason === undefined ? {} : { reason: flags.reason }),
            },
            flags.json,
          )
        },
      ),
    'pocnet case release IT-20261128-dd69bafb --provider-ref "OVH-2026-4471" --reason "produced under MLA"',
    'pocnet case release IT-20261128-dd69bafb --all',
  )

  examples(
    kase
      .command('mla-received <id>')
      .description(
        'record that your central authority received the MLA request (requested side): preservation continues until it is decided (Art. 29(7))',
      )
      .requiredOption('--authority-ref <ref>', "the central authority's reference for the MLA request")
      .option('--mla-ref <ref>', "the requester's MLA reference, as received")
      .option('--json', 'print the result as JSON')
      .action(
        async (
          id: string,
          flags: { authorityRef: string; mlaRef?: string; json?: boolean },
          command: Command,
        ) => {
          await postEvent(
            Context.of(command),
            id,
            {
              kind: 'mla-received',
              authorityReference: flags.authorityRef,
              ...(flags.mlaRef === undefined ? {} : { mlaReference: flags.mlaRef }),
            },
            flags.json,
          )
        },
      ),
    'pocnet case mla-received IT-20261128-dd69bafb --authority-ref "MJ-2026-0412" --mla-ref "MLA/2026/118"',
  )

  examples(
    kase
      .command('mla-decided <id>')
      .description('record the decision on the MLA request, which ends the MLA phase (requested side)')
      .addOption(
        new Option('--decision <decision>', 'the decision').choices([...MLA_DECISIONS]).makeOptionMandatory(),
      )
      .requiredOption('--text <text>', 'what was decided and what happens to the data')
      .option('--json', 'print the result as JSON')
      .action(
        async (id: string, flags: { decision: string; text: string; json?: boolean }, command: Command) => {
          await postEvent(
            Context.of(command),
            id,
            { kind: 'mla-decided', decision: flags.decision, note: flags.text },
            flags.json,
          )
        },
      ),
    'pocnet case mla-decided IT-20261128-dd69bafb --decision granted --text "Production order served"',
  )

  examples(
    kase
      .command('conditions <id>')
      .description(
        'state conditions on the use of what you supply (SAP Art. 9(6), Art. 28(2), requested side); the requester accepts or declines them',
      )
      .option('--condition <text>', 'one condition (repeat)', collect)
      .option('--lift', 'lift the conditions stated earlier: supply the data without them (SAP Art. 9(7)(a))')
      .option('--basis <text>', 'the provision they rest on, e.g. "Art. 28(2)(b)"')
      .option('--json', 'print the result as JSON')
      .action(
        async (
          id: string,
          flags: { condition?: string[]; lift?: boolean; basis?: string; json?: boolean },
          command: Command,
        ) => {
          if ((flags.condition === undefined) === (flags.lift !== true))
            throw new UsageError(
              'state conditions with --condition <text> (repeat), or lift them with --lift',
            )
          await postEvent(
            Context.of(command),
            id,
            {
              kind: 'conditions-stated',
              conditions: flags.condition ?? [],
              ...(flags.basis === undefined ? {} : { basis: flags.basis }),
            },
            flags.json,
          )
        },
      ),
    'pocnet case conditions IT-20261128-dd69bafb --condition "Use only in investigation HU-2026-118" --basis "Art. 28(2)(b)"',
  )

  textStep(kase, {
    name: 'accept-conditions',
    kind: 'conditions-accepted',
    description:
      'accept the conditions on use stated by the requested side; you are then bound by them (SAP Art. 9(7)(a), Art. 28(3), requester side)',
    field: 'note',
    flag: 'text',
    help: 'who accepted, or on what understanding',
    presence: 'optional',
    example: 'pocnet case accept-conditions IT-20261128-dd69bafb --text "Accepted by the prosecutor"',
  })

  textStep(kase, {
    name: 'decline-conditions',
    kind: 'conditions-declined',
    description:
      'say you cannot comply with the conditions on use; the requested side then decides whether to supply the data nevertheless (requester side)',
    field: 'reason',
    flag: 'reason',
    help: 'why the conditions cannot be met',
    presence: 'required',
    example:
      'pocnet case decline-conditions IT-20261128-dd69bafb --reason "Evidence must be disclosed to the defence"',
  })
}
