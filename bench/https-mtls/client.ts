/**
 * The sending side of the HTTPS+mTLS baseline, in the benchmark's process: it makes the CA, starts
 * the server process and sends Ed25519-signed JSON with a 2 KiB payload over keep-alive
 * connections, checking each signed receipt.
 */
import { spawn } from 'node:child_process'
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { Agent, request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { makeTlsFiles } from './certs.ts'
import { requestHash, type SignedReceipt, signRequest, verifyReceipt } from './wire.ts'

export interface HttpsBaseline {
  /** One signed request and its checked receipt. */
  send(): Promise<void>
  /** The server's process. */
  serverPid: number
  stop(): Promise<void>
}

const SERVER_MAIN = join(import.meta.dirname, 'server.ts')

export async function startHttpsBaseline(options: {
  payloadBytes: number
  sockets: number
}): Promise<HttpsBaseline> {
  const dir = await mkdtemp(join(tmpdir(), 'pocnet-bench-https-'))
  const tls = await makeTlsFiles(dir)
  const sender = generateKeyPairSync('ed25519')
  await writeFile(join(dir, 'sender.pub'), sender.publicKey.export({ type: 'spki', format: 'pem' }))
  const child = spawn(process.execPath, [SERVER_MAIN, dir], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`the HTTPS baseline server exited (code ${code})`))),
  )
  const port = await Promise.race([
    new Promise<number>((resolve) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const match = /^ready (\d+)$/.exec(line)
        if (match !== null) resolve(Number(match[1]))
      })
    }),
    exited,
  ])
  const receiverKey = createPublicKey(await readFile(join(dir, 'receiver.pub')))
  const agent = new Agent({
    keepAlive: true,
    maxSockets: options.sockets,
    ca: await readFile(tls.caCert),
    cert: await readFile(tls.clientCert),
    key: await readFile(tls.clientKey),
  })
  const payload = randomBytes(options.payloadBytes).toString('base64')
  const send = async (): Promise<void> => {
    const body = signRequest(
      {
        from: 'IT',
        to: 'FR',
        caseId: 'bench',
        kind: 'bench',
        createdAt: Date.now(),
        messageId: randomBytes(16).toString('hex'),
        payload,
      },
      sender.privateKey,
    )
    const answer = await post(agent, port, body)
    const receipt = JSON.parse(answer.toString('utf8')) as SignedReceipt
    if (!verifyReceipt(receipt, receiverKey) || receipt.requestHash !== requestHash(body))
      throw new Error('the HTTPS baseline server answered with a receipt that does not verify')
    if (receipt.status !== 'accepted') throw new Error('the HTTPS baseline server refused the request')
  }
  return {
    send,
    serverPid: child.pid!,
    async stop() {
      agent.destroy()
      child.kill('SIGTERM')
      await exited.catch(() => {})
      await rm(dir, { recursive: true, force: true })
    },
  }
}

function post(agent: Agent, port: number, body: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/deliver',
        headers: { 'content-type': 'application/json', 'content-length': body.length },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => resolve(Buffer.concat(chunks)))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}
