import { defineConfig } from 'vitest/config';
import { sharedTestConfig } from '../../test/harness/vitest-shared.ts';

export default defineConfig(sharedTestConfig('billing', ['stripe-mock', 'kafka']));
