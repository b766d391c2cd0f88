/**
 * The engine's marker of a value not known before the provider runs (preview): RemoteImage.imageId, … The program
 * under mocks (program/evaluate.ts) writes it where the engine would; the policy pack reads it (policy/lib/resources.ts).
 * The same value as @pulumi/pulumi's runtime `unknownValue` (sdk/nodejs/runtime/rpc.ts@v3.276.0), without loading the SDK.
 */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
