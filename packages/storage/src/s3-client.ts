import { S3Client } from '@aws-sdk/client-s3';

export interface S3Options {
  endpoint?: string | undefined;
  region: string;
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
  forcePathStyle: boolean;
}

/**
 * One S3 client for AWS, MinIO and the embedded s3rver alike. Checksums only when required: with the
 * SDK's default, a streamed PutObject is stored by s3rver with aws-chunked framing (corrupt bytes).
 */
export function createS3Client(options: S3Options): S3Client {
  // The SDK warns on Node 20 about releases after January 2027; the version here is pinned, so the
  // warning would only alarm users. Anyone can still turn it on by setting the variable to false.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return new S3Client({
    region: options.region,
    forcePathStyle: options.forcePathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.accessKeyId && options.secretAccessKey
      ? { credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } }
      : {}),
  });
}
