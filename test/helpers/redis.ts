export { dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../../src/dev/throwaway-prefix.js';
