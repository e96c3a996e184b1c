export { mdeSourceYaml, TEST_HMAC_SECRET, TEST_TOKEN, testConfig } from '../../src/dev/throwaway-config.js';
