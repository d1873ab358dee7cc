/**
 * Every refusal of this package is a SmallModelError subclass, so callers can tell bad input (never
 * worth a retry) from I/O failures, and the message names the problem.
 */
export class SmallModelError extends Error {
  override name = 'SmallModelError';
}

/** The bytes are not a loadable ONNX model (corrupt, truncated, not ONNX at all). */
export class InvalidOnnxError extends SmallModelError {
  override name = 'InvalidOnnxError';
}

/** The model's inputs or outputs do not match the featurizer spec or the label list. */
export class SignatureMismatchError extends SmallModelError {
  override name = 'SignatureMismatchError';
}

/** An input row cannot be featurized (NaN, wrong length, wrong type). */
export class InvalidInputError extends SmallModelError {
  override name = 'InvalidInputError';
}

/** The training data cannot train a classifier (empty, unknown label, a class never seen, bad target). */
export class TrainingDataError extends SmallModelError {
  override name = 'TrainingDataError';
}

/** A registry operation refers to something that is not there or already is. */
export class RegistryError extends SmallModelError {
  override name = 'RegistryError';
}

/** A hyper-parameter outside its range (a zero batch size would never finish an epoch). */
export class HyperParameterError extends SmallModelError {
  override name = 'HyperParameterError';
}
