export { UsageError } from '../util/errors.js';
