import { type Attachment, chunkCount } from '@pocnet/cases'
import { NodeError } from '../errors.ts'
import { openChunk } from './chunk-seal.ts'
import type { AttachmentsConfig } from './config.ts'
import type { AttachmentRecord, AttachmentStore } from './store.ts'

/**
 * Throws unless the attachments of a message about to be sent may go: each uploaded here, complete
 * and as the message describes it (its key opening the first stored chunk); each under the per-file
 * cap, all under the per-message cap. Returns the records of those that travel.
 */
export async function checkOffer(
  attachments: readonly Attachment[],
  records: ReadonlyMap<string, AttachmentRecord>,
  store: AttachmentStore,
  config: Pick<AttachmentsConfig, 'maxFileBytes' | 'maxMessageBytes'>,
): Promise<AttachmentRecord[]> {
  const { maxFileBytes, maxMessageBytes } = config
  const travelling = attachments.filter((a) => a.transfer !== undefined)
  const total = travelling.reduce((sum, a) => sum + a.size, 0)
  if (total > maxMessageBytes)
    throw new NodeError(
      'ERR_ATTACHMENT_TOO_LARGE',
      `the attachments come to ${total} bytes, over the cap of ${maxMessageBytes} bytes per message (config attachments.maxMessageBytes)`,
    )
  const checked: AttachmentRecord[] = []
  for (const a of travelling) {
    const record = records.get(a.transfer!.id)
    const named = `attachment ${a.name} (${a.transfer!.id})`
    if (record === undefined || record.direction !== 'sent')
      throw new NodeError(
        'ERR_NO_ATTACHMENT',
        `${named} was not uploaded to this node: attach the file again`,
      )
    if (a.size > maxFileBytes)
      throw new NodeError(
        'ERR_ATTACHMENT_TOO_LARGE',
        `${named} is ${a.size} bytes, over the cap of ${maxFileBytes} bytes per file (config attachments.maxFileBytes)`,
      )
    if (record.state !== 'uploaded')
      throw new NodeError(
        'ERR_ATTACHMENT_STATE',
        `${named} is ${record.state}: each upload goes with one message`,
      )
    if (
      record.sha256 !== a.sha256 ||
      record.size !== a.size ||
      record.chunkSize !== a.transfer!.chunkSize ||
      record.chunks.join() !== a.transfer!.chunks.join()
    )
      throw new NodeError(
        'ERR_ATTACHMENT_MISMATCH',
        `${named}: the message describes other bytes than were uploaded`,
      )
    const count = chunkCount(record.size, record.chunkSize)
    if (count > 0) {
      const first = await store.readChunk(record.id, 0)
      if (openChunk(Buffer.from(a.transfer!.key, 'hex'), record.id, 0, count, first) === undefined)
        throw new NodeError('ERR_ATTACHMENT_MISMATCH', `${named}: the key does not open the uploaded chunks`)
    }
    checked.push(record)
  }
  return checked
}
