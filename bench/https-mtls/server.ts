/**
 * The central HTTPS+mTLS server of the baseline, run as its own process (as pocnet's receiver
 * is): `node server.ts <dir>`. It takes the TLS files and the sender's Ed25519 key from `dir`,
 * writes its own receipt key there, and prints `ready <port>` once it listens on 127.0.0.1.
 * Per request: client certificate (TLS), signature check, one line in a grouped fsync'd log,
 * then a signed receipt.
 */
import { createPublicKey, generateKeyPairSync } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:https'
import { join } from 'node:path'
import { GroupedLog } from './grouped-log.ts'
import { requestHash, type SignedRequest, signReceipt, verifyRequest } from './wire.ts'

const MAX_BODY_BYTES = 64 * 1024
const dir = process.argv[2]
if (dir === undefined) throw new Error('usage: node server.ts <dir holding the TLS files>')
const read = (name: string) => readFileSync(join(dir, name))
const senderKey = createPublicKey(read('sender.pub'))
const receiptKeys = generateKeyPairSync('ed25519')
writeFileSync(join(dir, 'receiver.pub'), receiptKeys.publicKey.export({ type: 'spki', format: 'pem' }))
const log = await GroupedLog.open(join(dir, 'messages.log'))

const server = createServer(
  {
    key: read('server.key'),
    cert: read('server.crt'),
    ca: read('ca.crt'),
    requestCert: true,
    rejectUnauthorized: true,
    keepAliveTimeout: 60_000,
  },
  (req, res) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) req.destroy()
      else chunks.push(chunk)
    })
    req.on('end', async () => {
      const body = Buffer.concat(chunks)
      const receivedAt = Date.now()
      let status: 'accepted' | 'rejected' = 'rejected'
      try {
        const request = JSON.parse(body.toString('utf8')) as SignedRequest
        if (verifyRequest(request, senderKey)) {
          await log.append(body.toString('utf8'))
          status = 'accepted'
        }
      } catch {
        status = 'rejected'
      }
      const receipt = signReceipt(
        { requestHash: requestHash(body), receivedAt, status },
        receiptKeys.privateKey,
      )
      res.writeHead(status === 'accepted' ? 200 : 400, { 'content-type': 'application/json' })
      res.end(receipt)
    })
  },
)
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('the server has no TCP address')
  process.stdout.write(`ready ${address.port}\n`)
})
process.on('SIGTERM', () => {
  server.close()
  server.closeAllConnections()
  void log.close().then(() => process.exit(0))
})
