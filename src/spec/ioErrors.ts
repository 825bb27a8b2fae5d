// The errors of saving, loading and importing models.
import { RnnError } from './errors.js';

/**
 * A saved or imported model is not what the loader needs: not valid JSON, another format or
 * format version, a truncated or mismatched weight file, a weight missing or of another shape,
 * a layer type this version does not know. Nothing was changed when it is thrown.
 */
export class ModelFormatError extends RnnError {
  override name = 'ModelFormatError';
}

/**
 * The storage could not be reached: a file or directory that cannot be read or written, no
 * IndexedDB in this environment, no model saved under a key, a failed HTTP request.
 */
export class ModelIOError extends RnnError {
  override name = 'ModelIOError';
}
