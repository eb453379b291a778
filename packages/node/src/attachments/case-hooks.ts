import type { Attachment } from '@pocnet/cases'
import type { RejectReason } from '@pocnet/protocol'

/** What the case book asks of the attachments service as messages go and come (attachments/service.ts). */
export interface CaseAttachments {
  /** Before a message naming `attachments` goes to `to`: checks them and lets `to` fetch them. */
  prepareOffer(caseId: string, to: string, attachments: readonly Attachment[]): Promise<void>
  /** The message was queued as `messageId`. */
  offered(messageId: string, attachments: readonly Attachment[]): Promise<void>
  /** Before a received message is accepted: a reason refuses it (caps, quota), nothing stored. */
  admit(messageId: string, attachments: readonly Attachment[]): RejectReason | undefined
  /** The message was accepted and stored: fetch its attachments. */
  expect(caseId: string, from: string, messageId: string, attachments: readonly Attachment[]): Promise<void>
}
