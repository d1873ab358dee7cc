import { parseNotification } from './notifications.js';

const s3Records = {
  Records: [
    { eventName: 's3:ObjectCreated:Put', s3: { bucket: { name: 'b1' }, object: { key: 'manifests/my+run%2B1.json', eTag: '"forged"' } } },
    { eventName: 'ObjectCreated:CompleteMultipartUpload', s3: { bucket: { name: 'b1' }, object: { key: 'manifests/x.json' } } },
    { eventName: 's3:ObjectRemoved:Delete', s3: { bucket: { name: 'b1' }, object: { key: 'manifests/y.json' } } },
  ],
};

describe('parseNotification', () => {
  it('reads S3 object-created records, decodes keys and drops the caller ETag', () => {
    expect(parseNotification(s3Records)).toEqual({
      objects: [
        { bucket: 'b1', key: 'manifests/my run+1.json' },
        { bucket: 'b1', key: 'manifests/x.json' },
      ],
    });
  });

  it('reads a MinIO event (records plus its own top-level fields)', () => {
    const minio = {
      EventName: 's3:ObjectCreated:Put',
      Key: 'b1/manifests/m.json',
      Records: [{ eventVersion: '2.0', eventSource: 'minio:s3', eventName: 's3:ObjectCreated:Put', s3: { bucket: { name: 'b1' }, object: { key: 'manifests%2Fm.json', eTag: 'x' } } }],
    };
    expect(parseNotification(minio).objects).toEqual([{ bucket: 'b1', key: 'manifests/m.json' }]);
  });

  it('unwraps an SNS notification whose Message is the S3 records as JSON', () => {
    const sns = { Type: 'Notification', MessageId: 'm1', TopicArn: 'arn:aws:sns:us-east-1:1:t', Message: JSON.stringify(s3Records) };
    expect(parseNotification(sns).objects).toHaveLength(2);
    expect(parseNotification({ Type: 'Notification', Message: JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent' }) })).toEqual({ objects: [] });
    expect(() => parseNotification({ Type: 'Notification', Message: 'not json' })).toThrow(/SNS Message is not JSON/);
  });

  it('returns the SubscribeURL of an SNS subscription confirmation and no objects', () => {
    const url = 'https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=t';
    expect(parseNotification({ Type: 'SubscriptionConfirmation', SubscribeURL: url, Token: 't' })).toEqual({ objects: [], subscribeUrl: url });
  });

  it('reads an S3 event from EventBridge, whose keys are not URL-encoded', () => {
    const event = {
      version: '0',
      'detail-type': 'Object Created',
      source: 'aws.s3',
      detail: { version: '0', bucket: { name: 'b1' }, object: { key: 'manifests/a+b 2026-11-29T04:00:00.json', etag: 'forged' }, reason: 'PutObject' },
    };
    expect(parseNotification(event).objects).toEqual([{ bucket: 'b1', key: 'manifests/a+b 2026-11-29T04:00:00.json' }]);
    expect(parseNotification({ ...event, 'detail-type': 'Object Deleted' }).objects).toEqual([]);
  });

  it('accepts S3 test events and refuses a body that is no notification', () => {
    expect(parseNotification({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'b1' })).toEqual({ objects: [] });
    expect(() => parseNotification({ hello: 1 })).toThrow(/not an S3, SNS or EventBridge event notification/);
  });
});
