/**
 * Certificates made at test time with the machine's openssl (argv arrays, no shell): a
 * self-signed one for 127.0.0.1, and a root CA → intermediate → leaf chain.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const LEAF_EXTENSIONS = 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n';
const CA_EXTENSIONS = 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n';

export interface CertFiles {
  dir: string;
  /** Self-signed certificate for 127.0.0.1 and its key. */
  selfSignedCrt: string;
  selfSignedKey: string;
  /** The chain: a root the client trusts, an intermediate the server must send, the leaf. */
  rootCrt: string;
  intermediateCrt: string;
  leafCrt: string;
  leafKey: string;
  read(file: string): Promise<Buffer>;
  remove(): Promise<void>;
}

async function openssl(args: string[]): Promise<void> {
  await run('openssl', args, { timeout: 20_000 });
}

/** Sign `name`.csr with the CA `ca` (files in `dir`) using the extensions in `extensions`. */
async function sign(dir: string, name: string, ca: string, extensions: string): Promise<void> {
  const extFile = path.join(dir, `${name}.ext`);
  await writeFile(extFile, extensions);
  await openssl([
    'x509', '-req', '-in', path.join(dir, `${name}.csr`), '-CA', path.join(dir, `${ca}.crt`),
    '-CAkey', path.join(dir, `${ca}.key`), '-CAcreateserial', '-out', path.join(dir, `${name}.crt`),
    '-days', '2', '-extfile', extFile,
  ]);
}

async function request(dir: string, name: string, subject: string): Promise<void> {
  await openssl(['req', '-new', ...KEY, '-keyout', path.join(dir, `${name}.key`), '-out', path.join(dir, `${name}.csr`), '-subj', subject]);
}

export async function makeCertificates(): Promise<CertFiles> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'salt-api-koa-tls-'));
  const file = (name: string) => path.join(dir, name);
  await openssl([
    'req', '-x509', ...KEY, '-keyout', file('self.key'), '-out', file('self.crt'), '-days', '2',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ]);
  await openssl([
    'req', '-x509', ...KEY, '-keyout', file('root.key'), '-out', file('root.crt'), '-days', '2',
    '-subj', '/CN=salt-api-koa test root', '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await request(dir, 'intermediate', '/CN=salt-api-koa test intermediate');
  await sign(dir, 'intermediate', 'root', CA_EXTENSIONS);
  await request(dir, 'leaf', '/CN=localhost');
  await sign(dir, 'leaf', 'intermediate', LEAF_EXTENSIONS);
  return {
    dir,
    selfSignedCrt: file('self.crt'),
    selfSignedKey: file('self.key'),
    rootCrt: file('root.crt'),
    intermediateCrt: file('intermediate.crt'),
    leafCrt: file('leaf.crt'),
    leafKey: file('leaf.key'),
    read: (name) => readFile(name),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
