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
