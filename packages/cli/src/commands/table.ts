import type { Command } from 'commander'

/** Declares one or more top-level commands of `pocnet`, with their options, help and actions. */
export type Register = (program: Command) => void

/** A module of commands: the top-level commands it declares, and how to load it. */
export interface CommandModule {
  readonly names: readonly string[]
  readonly load: () => Promise<Register>
}

/**
 * Every top-level command, in the order `pocnet --help` lists them, with the module declaring it.
 * A run loads only the module of the command it names, so `pocnet request send` does not load
 * the ledger, the directory or libp2p that other commands use; `pocnet --help`, `pocnet help`
 * and a name not listed here (commander then suggests one) load them all.
 * A test checks that each module declares exactly the names listed for it.
 */
export const COMMAND_MODULES: readonly CommandModule[] = [
  { names: ['init'], load: async () => (await import('./init.ts')).registerInit },
  { names: ['roster'], load: async () => (await import('./roster.ts')).registerRoster },
  { names: ['key'], load: async () => (await import('./key.ts')).registerKey },
  {
    names: ['start', 'status', 'peers', 'user', 'directory'],
    load: async () => (await import('./node.ts')).registerNode,
  },
  { names: ['backup', 'restore'], load: async () => (await import('./backup.ts')).registerBackup },
  { names: ['request'], load: async () => (await import('./cases/request.ts')).registerRequest },
  { names: ['inbox'], load: async () => (await import('./cases/inbox.ts')).registerInbox },
  { names: ['search'], load: async () => (await import('./cases/search.ts')).registerSearch },
  { names: ['case'], load: async () => (await import('./cases/case.ts')).registerCase },
  { names: ['intake'], load: async () => (await import('./cases/intake.ts')).registerIntake },
  { names: ['ledger'], load: async () => (await import('./ledger.ts')).registerLedger },
  { names: ['audit'], load: async () => (await import('./audit.ts')).registerAudit },
  { names: ['witness'], load: async () => (await import('./witness.ts')).registerWitness },
  { names: ['drills'], load: async () => (await import('./drills.ts')).registerDrills },
  { names: ['duty'], load: async () => (await import('./duty.ts')).registerDuty },
]
