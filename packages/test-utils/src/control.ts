import { randomBytes } from 'node:crypto'
import {
  directoryRoutes,
  type Health,
  type InboxMessage,
  type MessageQueued,
  messageRoutes,
  type OutboxItemView,
  statusRoutes,
} from '@pocnet/node/client'
import type { FederationNode } from './federation.ts'
import { waitFor } from './wait.ts'

export function health(node: FederationNode): Promise<Health> {
  return node.client.call(statusRoutes.health)
}

export async function outbox(node: FederationNode): Promise<OutboxItemView[]> {
  return (await node.client.call(messageRoutes.outbox)).items
}

export async function inbox(node: FederationNode): Promise<InboxMessage[]> {
  return (await node.client.call(messageRoutes.inbox)).messages
}

export interface MessageInput {
  to: string
  caseId?: string
  kind?: string
  /** Payload bytes; random bytes of `payloadBytes` (default 256) when absent. */
  payload?: Uint8Array
  payloadBytes?: number
}

/** `POST /messages`: resolves once the message is durable at the sender. */
export function submitMessage(node: FederationNode, input: MessageInput): Promise<MessageQueued> {
  const payload = input.payload ?? randomBytes(input.payloadBytes ?? 256)
  return node.client.call(messageRoutes.submit, {
    body: {
      to: input.to,
      caseId: input.caseId ?? 'case-1',
      kind: input.kind ?? 'test',
      payload: Buffer.from(payload).toString('base64'),
    },
  })
}

/**
 * Submits `count` messages with `concurrency` requests in flight; resolves with every
 * answer in submission order. The first failure rejects (no retries here).
 */
export async function submitMessages(
  node: FederationNode,
  input: MessageInput & { count: number; concurrency?: number },
): Promise<MessageQueued[]> {
  const results: MessageQueued[] = new Array(input.count)
  let next = 0
  const worker = async () => {
    while (next < input.count) {
      const i = next++
      results[i] = await submitMessage(node, { ...input, caseId: input.caseId ?? `case-${i}` })
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, input.concurrency ?? 8) }, worker))
  return results
}

/**
 * Waits until `from` is connected to a peer and can look up `to` in the directory: the
 * precondition for `POST /messages` to `to`.
 */
export async function waitUntilReachable(
  from: FederationNode,
  to: FederationNode,
  timeoutMs = 60_000,
): Promise<void> {
  await waitFor(
    async () => {
      const h = await health(from)
      if (h.peersConnected < 1) return false
      await from.client.call(directoryRoutes.lookup, { params: { country: to.country } })
      return true
    },
    { timeoutMs, intervalMs: 250, description: `${from.country} to find ${to.country} in the directory` },
  )
}
