import { attachmentsOfCase } from '../../attachments/of-case.ts'
import type { PocnetDaemon } from '../../daemon.ts'
import type { attachmentRoutes } from '../routes/attachments.ts'
import type { Handlers } from '../serve.ts'
import { caseCall } from './case-errors.ts'

export function attachmentHandlers(daemon: PocnetDaemon): Handlers<typeof attachmentRoutes> {
  const { attachments } = daemon
  return {
    begin: async (file, call) => {
      const started = await attachments.uploads.begin(file)
      call.note({ upload: started.id, name: file.name, size: file.size })
      return started
    },
    chunk: async ({ id, index, data }) => attachments.uploads.put(id, index, data),
    finish: async ({ id }, call) => {
      const attachment = await attachments.uploads.finish(id)
      call.note({ upload: id, name: attachment.name, sha256: attachment.sha256, size: attachment.size })
      return { attachment }
    },
    ofCase: async ({ caseId }) =>
      caseCall(async () => ({
        attachments: attachments.statusOf(caseId, attachmentsOfCase(daemon.cases.get(caseId))),
        quota: { usedBytes: attachments.usedBytes(), quotaBytes: attachments.config.quotaBytes },
      })),
    read: async ({ caseId, id, index }) =>
      caseCall(async () => {
        daemon.cases.get(caseId) // a case this node does not hold is a 404, as elsewhere
        return { data: (await attachments.plainChunk(caseId, id, index)).toString('base64') }
      }),
  }
}
