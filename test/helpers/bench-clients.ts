// The OpenAI client and the instrumentations bench/capture.ts drives, loaded from here so they
// resolve from the test package (test/package.json) rather than the proxy's own install.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The openai module as a CommonJS require gives it (the form the instrumentations patch). */
export const openaiModule = () => require('openai');
export const langtraceSdk = () => require('@langtrase/typescript-sdk');
export const openinferenceOpenAI = async () => (await import('@arizeai/openinference-instrumentation-openai')).OpenAIInstrumentation;
export const openllmetryOpenAI = async () => (await import('@traceloop/instrumentation-openai')).OpenAIInstrumentation;
