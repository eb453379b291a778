import type { Attachment, Case, CaseEvent, Side } from '@pocnet/cases'

/** An attachment a case's messages name, and whether this node sent it or received it. */
export interface NamedAttachment {
  attachment: Attachment
  direction: 'sent' | 'received'
}

/** The attachments of a message: a request's, an answer's, a disclosure's. */
export function attachmentsOfEvent(event: CaseEvent): readonly Attachment[] {
  if (event.kind === 'answered') return event.attachments
  if (event.kind === 'partially-disclosed') return event.attachments ?? []
  return []
}

/** Every attachment a case names, in the order of its messages, seen from `side`. */
export function attachmentsOfCase(held: {
  current: Case
  events: readonly CaseEvent[]
  side: Side
}): NamedAttachment[] {
  const direction = (from: Side): NamedAttachment['direction'] => (from === held.side ? 'sent' : 'received')
  return [
    ...held.current.request.attachments.map((attachment) => ({
      attachment,
      direction: direction('requester'),
    })),
    ...held.events.flatMap((e) =>
      attachmentsOfEvent(e).map((attachment) => ({ attachment, direction: direction(e.side) })),
    ),
  ]
}

/** The key a case's messages give attachment `id`. */
export function keyInCase(held: Parameters<typeof attachmentsOfCase>[0], id: string): string | undefined {
  return attachmentsOfCase(held).find((n) => n.attachment.transfer?.id === id)?.attachment.transfer?.key
}

function withoutKey(a: Attachment): Attachment {
  if (a.transfer === undefined) return a
  // the type keeps `key` (a case as the book holds it); only what the control API answers lacks it
  const { key: _key, ...transfer } = a.transfer
  return { ...a, transfer: transfer as Attachment['transfer'] & object }
}

/**
 * A case as the control API shows it: each attachment's key left out. The key is for the nodes;
 * nobody reading a case (auditors included) needs it, and the chunks are read through the node.
 */
export function withoutAttachmentKeys(c: Case): Case {
  const event = (e: CaseEvent): CaseEvent =>
    e.kind === 'answered'
      ? { ...e, attachments: e.attachments.map(withoutKey) }
      : e.kind === 'partially-disclosed' && e.attachments !== undefined
        ? { ...e, attachments: e.attachments.map(withoutKey) }
        : e
  return {
    ...c,
    request: { ...c.request, attachments: c.request.attachments.map(withoutKey) },
    history: c.history.map(event),
  } as Case
}
