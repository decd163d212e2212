// A small typed program against the package's index.d.ts; `tsc --noEmit` checks it
// (tests/node/run.sh). It is also a usage example.
import {
  parseReference, parseNormalized, Filter, ImageIndex, Puller, Verifier, pull, listImages,
  authFilePaths, authFileForWrite, type AuthFile, type PullOutput, type ImageRecord, type CodedError, type PullEvent,
} from 'hoist'

const r = parseNormalized('redis:7')
const tag: string | undefined = r.tag
const exact: string = parseReference('docker.io/library/redis:7').canonical

const index = new ImageIndex()
index.add({ id: 'sha256:' + 'a'.repeat(64), manifest_digest: 'sha256:' + 'b'.repeat(64), names: ['redis:7'] })
const filter = Filter.parse(['dangling=false'], index, 0)
const listed: ImageRecord[] = index.list(filter)

const authFiles: AuthFile[] = authFilePaths({ home: '/home/u', uid: 1000, xdgRuntimeDir: null })
const loginFile: string = authFileForWrite({ registryAuthFile: '/etc/auth.json' })
console.log(authFiles.map((f) => `${f.path}${f.legacy ? ' (legacy)' : ''}`), loginFile)

const v = new Verifier('sha256:' + 'c'.repeat(64), 3)
v.update(new Uint8Array([1, 2, 3]))
const outcome = v.check()
if ('failure' in outcome) console.log(outcome.failure.kind)

const p = new Puller('127.0.0.1:5000/test/app:v1', { plainHttp: true, platform: 'linux/amd64' }, 0)
const out: PullOutput = p.pollOutput()
if (out.kind === 'http') console.log(out.method, out.url)

async function main(signal: AbortSignal): Promise<void> {
  try {
    const done = await pull('127.0.0.1:5000/test/app:v1', {
      store: '/tmp/store', plainHttp: true, signal,
      onProgress: (e: PullEvent) => { if (e.kind === 'blob-done') console.log(e.digest, e.size) },
      auth: (host) => (host === '127.0.0.1:5000' ? { username: 'u', password: 'p' } : null),
    })
    const images = await listImages({ store: '/tmp/store', filters: ['reference=*app*'] })
    console.log(done.record.id, images.length, tag, exact, listed.length)
  } catch (e) {
    console.log((e as CodedError).code)
  }
}
void main

// The typings are not `any`: each line below must be a type error.
// @ts-expect-error a reference is a string
parseReference(42)
// @ts-expect-error listImages needs the store
void listImages({})
// @ts-expect-error there is no such output kind
const bad: PullOutput['kind'] = 'teleport'
void bad
