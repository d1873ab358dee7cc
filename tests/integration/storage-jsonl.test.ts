import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createS3Client, ensureBucket, getBytes, JsonlWriter, readAllJsonl, readLines, startLocalS3, putBytes, type LocalS3 } from '@datashunt/storage';

describe('JSONL over the embedded S3 server', () => {
  let server: LocalS3;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ds-s3-'));
    server = await startLocalS3({ directory: dir });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips streamed multipart bytes exactly', async () => {
    const s3 = createS3Client({ endpoint: server.endpoint, region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true });
    await ensureBucket(s3, 'ds-test');
    const writer = new JsonlWriter(s3, { bucket: 'ds-test', key: 'x.jsonl' });
    const records = Array.from({ length: 20_000 }, (_, i) => ({ id: i, text: `row ${i} ünïcödé`, pad: 'x'.repeat(500) }));
    for (const r of records) await writer.write(r);
    await writer.close();
    expect(await readAllJsonl(s3, { bucket: 'ds-test', key: 'x.jsonl' })).toEqual(records);
    await putBytes(s3, { bucket: 'ds-test', key: 'y.jsonl' }, '\uFEFFa\n\n b\r\nc\rd');
    const lines = [];
    for await (const l of readLines(s3, { bucket: 'ds-test', key: 'y.jsonl' })) lines.push(l);
    expect(lines).toEqual([{ line: 1, text: 'a' }, { line: 2, text: '' }, { line: 3, text: ' b' }, { line: 4, text: 'c\rd' }]);
    expect((await getBytes(s3, { bucket: 'ds-test', key: 'y.jsonl' })).toString()).toBe('\uFEFFa\n\n b\r\nc\rd');
  });
});
