/** The state file lives in config/ (the policy pack reads it too); re-exported for the CLI. */
export * from "../../../config/vulns-state";
