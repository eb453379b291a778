/**
 * A certificate authority made at run time for the HTTPS+mTLS baseline: a CA, a server
 * certificate for 127.0.0.1 and a client certificate, all ECDSA P-256, made with the `openssl`
 * command (node:crypto makes keys but not X.509 certificates).
 */
import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface TlsFiles {
  /** PEM files inside `dir`. */
  caCert: string
  serverKey: string
  serverCert: string
  clientKey: string
  clientCert: string
}

/** What `openssl` was asked and what it said, when it fails or is missing. */
export class OpensslError extends Error {
  constructor(args: readonly string[], cause: unknown) {
    super(
      `openssl ${args.join(' ')} failed (${(cause as Error).message}); the HTTPS+mTLS baseline needs the openssl command on PATH`,
      { cause },
    )
    this.name = 'OpensslError'
  }
}

/** `openssl req` making a new P-256 key, unencrypted. */
const NEW_P256_KEY = ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args)
  } catch (err) {
    throw new OpensslError(args, err)
  }
}

/** A key and a certificate signing request for `subject`, then the CA's signature on it. */
async function issue(dir: string, name: string, subject: string, extensions: string): Promise<void> {
  const key = join(dir, `${name}.key`)
  const csr = join(dir, `${name}.csr`)
  const ext = join(dir, `${name}.ext`)
  await openssl([...NEW_P256_KEY, '-keyout', key, '-out', csr, '-subj', subject])
  await writeFile(ext, `${extensions}\n`)
  const ca = ['-CA', join(dir, 'ca.crt'), '-CAkey', join(dir, 'ca.key'), '-CAcreateserial']
  const out = ['-days', '1', '-sha256', '-extfile', ext, '-out', join(dir, `${name}.crt`)]
  await openssl(['x509', '-req', '-in', csr, ...ca, ...out])
}

/** Makes the CA and both certificates in `dir`. */
export async function makeTlsFiles(dir: string): Promise<TlsFiles> {
  const caFiles = ['-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.crt')]
  await openssl([...NEW_P256_KEY, '-x509', '-days', '1', ...caFiles, '-subj', '/CN=bench-ca'])
  await issue(dir, 'server', '/CN=FR', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth')
  await issue(dir, 'client', '/CN=IT', 'extendedKeyUsage=clientAuth')
  return {
    caCert: join(dir, 'ca.crt'),
    serverKey: join(dir, 'server.key'),
    serverCert: join(dir, 'server.crt'),
    clientKey: join(dir, 'client.key'),
    clientCert: join(dir, 'client.crt'),
  }
}
