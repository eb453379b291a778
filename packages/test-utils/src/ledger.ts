import { join } from 'node:path'
import {
  checkpointOrigin,
  type EntryKind,
  Ledger,
  type LedgerEntry,
  type VerifyReport,
  verifyLedger,
} from '@pocnet/ledger'
import { DATA_DIR } from '@pocnet/node'
import { HarnessError } from './errors.ts'
import type { FederationNode } from './federation.ts'

function ledgerDir(node: FederationNode): string {
  return join(node.dataDir, DATA_DIR.ledger)
}

function requireStopped(node: FederationNode): void {
  if (node.process !== undefined) {
    throw new HarnessError(
      'ERR_NODE_RUNNING',
      `stop node ${node.country} before reading its ledger (the database is locked)`,
    )
  }
}

/** Runs the offline verifier on a stopped node's ledger, pinned to the node's roster key, with blob hashes checked. */
export async function verifyNodeLedger(node: FederationNode): Promise<VerifyReport> {
  requireStopped(node)
  return verifyLedger(ledgerDir(node), { identity: node.identity, publicKey: node.identity.signingPublicKey })
}

/** Opens a stopped node's ledger, runs `use`, closes it. */
export async function withNodeLedger<T>(
  node: FederationNode,
  use: (ledger: Ledger) => Promise<T>,
): Promise<T> {
  requireStopped(node)
  const ledger = await Ledger.open({
    dir: ledgerDir(node),
    identity: node.identity,
    origin: checkpointOrigin(node.network, node.country),
  })
  try {
    return await use(ledger)
  } finally {
    await ledger.close()
  }
}

/** The entries of the given kinds in a stopped node's ledger, by kind, in ledger order. */
export async function ledgerEntries<K extends EntryKind>(
  node: FederationNode,
  kinds: readonly K[],
): Promise<Record<K, LedgerEntry[]>> {
  return withNodeLedger(node, async (ledger) => {
    const out = {} as Record<K, LedgerEntry[]>
    for (const kind of kinds) out[kind] = await ledger.query({ kind })
    return out
  })
}
