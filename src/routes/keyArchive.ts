/**
 * The archive `POST /keys` answers with, as salt-api's `tarfile` writes it (http-api.md §7.13):
 * ustar members owned by root with mode 0644 and mtime 0, padded to whole 10240-byte records.
 */
import { buffer } from 'node:stream/consumers';
import tar from 'tar-stream';

/** Python's `tarfile.RECORDSIZE`: 20 blocks of 512 bytes. */
const RECORD_SIZE = 20 * 512;

export interface ArchiveMember {
  name: string;
  content: string;
}

export async function keyArchive(members: ArchiveMember[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const { name, content } of members) {
    pack.entry({ name, type: 'file', mode: 0o644, uid: 0, gid: 0, uname: '', gname: '', mtime: new Date(0) }, Buffer.from(content, 'utf8'));
  }
  pack.finalize();
  const archive = await buffer(pack);
  const padding = (RECORD_SIZE - (archive.length % RECORD_SIZE)) % RECORD_SIZE;
  return Buffer.concat([archive, Buffer.alloc(padding)]);
}
