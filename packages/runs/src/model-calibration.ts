import type { S3Client } from '@aws-sdk/client-s3';
import { CalibrationRecordSchema, modelKeys, type CalibrationRecord } from '@datashunt/contracts';
import { getJsonIfExists, putJson } from '@datashunt/storage';

/**
 * Calibration records next to the model version they measured (models/<name>/<version>/calibration.json),
 * kept here rather than in the registry class so that ingest reads them without loading onnxruntime.
 */
export class ModelCalibrations {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  /** The specific version scorers use now (the registry's pointer), if any. */
  async currentSpecific(name: string): Promise<string | undefined> {
    return (await getJsonIfExists<{ version: string }>(this.s3, this.ref(modelKeys(name).pointer('specific'))))?.version;
  }

  async read(name: string, version: string): Promise<CalibrationRecord | undefined> {
    const raw = await getJsonIfExists(this.s3, this.ref(modelKeys(name).version(version).calibration));
    return raw === undefined ? undefined : CalibrationRecordSchema.parse(raw);
  }

  /** Replaces the version's record: the latest calibration is the one runs use. */
  async write(record: CalibrationRecord): Promise<void> {
    await putJson(this.s3, this.ref(modelKeys(record.model.name).version(record.model.version).calibration), CalibrationRecordSchema.parse(record));
  }

  private ref(key: string) {
    return { bucket: this.bucket, key };
  }
}
