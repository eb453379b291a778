import { join } from 'node:path'
import {
  checkpointOrigin,
  type EntryKind,
  hashLeaf,
  Ledger,
  type LedgerEntry,
  type VerifyReport,
  verifyLedger,
} from '@pocnet/ledger'
import { DATA_DIR } from '@pocnet/node'
import { type CborValue, decode, encode } from '@pocnet/protocol'
import { Level } from 'level'
import { HarnessError } from './errors.ts'
import type { FederationNode } from './federation.ts'

/** A node's ledger directory. */
export function ledgerDir(node: FederationNode): string {
  return join(node.dataDir, DATA_DIR.ledger)
}

/** Throws unless the node's daemon is stopped (its database is locked while it runs). */
export function requireStopped(node: FederationNode): void {
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

/**
 * Rewrites a stopped node's ledger as ledger format 1 stored it (docs/ledger.md §3), from the
 * documented layout alone: every entry in its own `"e" ‖ seq` record (leaf hash ‖ bytes), no tile
 * records, and version 1 in the format record. For tests of the upgrade to format 2.
 */
export async function rewriteLedgerAsFormat1(node: FederationNode): Promise<void> {
  const entries: Array<{ seq: number; bytes: Uint8Array }> = []
  await withNodeLedger(node, async (ledger) => {
    for await (const entry of ledger.entryBytes()) entries.push(entry)
  })
  const db = new Level<Uint8Array, Uint8Array>(join(ledgerDir(node), 'db'), {
    keyEncoding: 'view',
    valueEncoding: 'view',
  })
  const numberKey = (prefix: string, n: number): Uint8Array => {
    const key = new Uint8Array(9)
    key[0] = prefix.charCodeAt(0)
    new DataView(key.buffer).setBigUint64(1, BigInt(n))
    return key
  }
  await db.open()
  try {
    const batch = db.batch()
    for (const { seq, bytes } of entries) {
      const value = new Uint8Array(32 + bytes.length)
      value.set(hashLeaf(bytes), 0)
      value.set(bytes, 32)
      batch.put(numberKey('e', seq), value)
    }
    for await (const key of db.keys({ gte: new Uint8Array([0x74]), lt: new Uint8Array([0x75]) }))
      batch.del(key)
    const metaKey = new TextEncoder().encode('mformat')
    const meta = decode((await db.get(metaKey))!) as { [key: string]: CborValue }
    batch.put(metaKey, encode({ ...meta, version: 1 }))
    await batch.write({ sync: true })
  } finally {
    await db.close()
  }
}
