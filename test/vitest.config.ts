import { defineConfig } from 'vitest/config';
import { sharedTestConfig } from './harness/vitest-shared.ts';

export default defineConfig(sharedTestConfig('cross-service', ['stripe-mock']));
