import { createdObjects } from './notifications.js';

describe('createdObjects', () => {
  it('reads AWS and MinIO object-created records and decodes keys', () => {
    const body = {
      Records: [
        { eventName: 's3:ObjectCreated:Put', s3: { bucket: { name: 'b1' }, object: { key: 'manifests/my+run%2B1.json', eTag: '"abc"' } } },
        { eventName: 'ObjectCreated:CompleteMultipartUpload', s3: { bucket: { name: 'b1' }, object: { key: 'manifests/x.json' } } },
        { eventName: 's3:ObjectRemoved:Delete', s3: { bucket: { name: 'b1' }, object: { key: 'manifests/y.json' } } },
      ],
    };
    expect(createdObjects(body)).toEqual([
      { bucket: 'b1', key: 'manifests/my run+1.json', etag: 'abc' },
      { bucket: 'b1', key: 'manifests/x.json', etag: undefined },
    ]);
  });

  it('refuses a body that is not a notification', () => {
    expect(() => createdObjects({ hello: 1 })).toThrow(/not an S3 event notification/);
  });
});
