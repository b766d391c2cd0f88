/** A bad command line or argument of the offline runner (exit 2, one message). Light: loaded before the SDK. */
export class UsageError extends Error {}
