import { toHex } from '@pocnet/crypto'
import type { PocnetDaemon } from '../../daemon.ts'
import type { messageRoutes } from '../routes/messages.ts'
import type { Handlers } from '../serve.ts'
import { requireMember } from './membership.ts'

export function messageHandlers(daemon: PocnetDaemon): Handlers<typeof messageRoutes> {
  /** The status of the case a message belongs to, if it is a case's and the case is held here. */
  const caseStatus = (caseId: string | undefined): string | undefined => {
    if (caseId === undefined) return undefined
    try {
      return daemon.cases.detail(caseId).case.status
    } catch {
      return undefined
    }
  }
  return {
    submit: async ({ idempotencyKey, ...message }, { user }) => {
      requireMember(daemon, message.to)
      const item = await daemon.outbox.submit({
        ...message,
        actor: `user:${user.name}`,
        ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
      })
      return { messageId: item.messageId, queuedAt: item.queuedAt, repeated: item.repeated }
    },
    outbox: async () => ({
      items: daemon.outbox.list().map(({ envelope: _e, envelopeHash, ...rest }) => ({
        ...rest,
        envelopeHash: toHex(envelopeHash),
        lastError: rest.lastError ?? null,
      })),
    }),
    inbox: async () => ({
      messages: (await daemon.ledger.query({ kind: 'message-received' })).map((e) => ({
        messageId: e.messageId,
        // a case message shows its case's status now; any other message is simply received
        state: caseStatus(e.caseId) ?? 'received',
        from: e.counterpart,
        caseId: e.caseId ?? '',
        kind: String(e.detail?.messageKind ?? ''),
        createdAt: e.detail?.createdAt ?? null,
        receivedAt: e.time,
        seq: e.seq,
      })),
    }),
  }
}
