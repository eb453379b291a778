import type { Attachment } from '@pocnet/cases'
import type { AttachmentStatus } from '../../attachments/status.ts'
import { CONTACTS, EVERY_ROLE, route } from '../contract.ts'
import { ControlApiError } from '../errors.ts'
import { BASE64, bodyObject, requireString } from '../fields.ts'

export type { AttachmentStatus } from '../../attachments/status.ts'

/** `POST /attachments`: a file a local user is about to upload, to send with a case message. */
export interface UploadStart {
  name: string
  size: number
  mediaType?: string
}

export interface UploadStarted {
  id: string
  /** Bytes per chunk: every chunk but the last is exactly this long. */
  chunkSize: number
  chunks: number
}

/** `GET /cases/:id/attachments`: each attachment the case's messages name, and the quota for received ones. */
export interface CaseAttachmentList {
  attachments: AttachmentStatus[]
  quota: { usedBytes: number; quotaBytes: number }
}

const ID = /^[0-9a-f]{32}$/
const ID_RULE = 'must be an attachment id: 32 lowercase hexadecimal characters'

function indexParam(raw: string | undefined): number {
  const index = Number(raw)
  if (raw === undefined || !/^\d{1,9}$/.test(raw) || !Number.isSafeInteger(index))
    throw new ControlApiError(400, 'ERR_FIELD', 'index: must be a whole number, 0 or more', {
      details: { field: 'index' },
    })
  return index
}

function idParam(raw: string | undefined, field: string): string {
  if (raw === undefined || !ID.test(raw))
    throw new ControlApiError(400, 'ERR_FIELD', `${field}: ${ID_RULE}`, { details: { field } })
  return raw
}

/** Uploading files to send, and reading the attachments of a case (docs/cases.md §9). */
export const attachmentRoutes = {
  begin: route<{ body: UploadStart }, UploadStarted>()({
    method: 'POST',
    path: '/attachments',
    roles: CONTACTS,
    parse: ({ body }) => {
      const b = bodyObject(body)
      const name = requireString(
        b,
        'name',
        (t) => t.trim() !== '' && t.length <= 300,
        'must be 1-300 characters',
      )
      const size = b.size
      if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
        throw new ControlApiError(400, 'ERR_FIELD', 'size: must be a whole number of bytes, 0 or more', {
          details: { field: 'size' },
        })
      const mediaType =
        b.mediaType === undefined
          ? undefined
          : requireString(b, 'mediaType', (t) => t.length > 0 && t.length <= 300, 'must be 1-300 characters')
      return { name, size, ...(mediaType !== undefined && { mediaType }) }
    },
  }),
  chunk: route<{ params: { id: string; index: string }; body: { data: string } }, { stored: number }>()({
    method: 'POST',
    path: '/attachments/:id/chunks/:index',
    roles: CONTACTS,
    // one record per upload, not per MiB: `begin` and `finish` record the file, name, hash and size
    audited: false,
    parse: ({ params, body }) => ({
      id: idParam(params.id, 'id'),
      index: indexParam(params.index),
      data: Buffer.from(requireString(bodyObject(body), 'data', BASE64, 'must be base64'), 'base64'),
    }),
  }),
  finish: route<{ params: { id: string } }, { attachment: Attachment }>()({
    method: 'POST',
    path: '/attachments/:id/finish',
    roles: CONTACTS,
    parse: ({ params }) => ({ id: idParam(params.id, 'id') }),
  }),
  ofCase: route<{ params: { id: string } }, CaseAttachmentList>()({
    method: 'GET',
    path: '/cases/:id/attachments',
    roles: EVERY_ROLE,
    parse: ({ params }) => ({ caseId: params.id ?? '' }),
  }),
  read: route<{ params: { id: string; attachment: string; index: string } }, { data: string }>()({
    method: 'GET',
    path: '/cases/:id/attachments/:attachment/chunks/:index',
    roles: CONTACTS,
    parse: ({ params }) => ({
      caseId: params.id ?? '',
      id: idParam(params.attachment, 'attachment'),
      index: indexParam(params.index),
    }),
  }),
}
