/** The catalog: image facts, tag schemes, compatibility rules, advisories and the shared names (pure data and functions). */
export * from "./images";
export * from "./tags";
export * from "./reference";
export * from "./rules";
export * from "./advisories";
export * from "./packages";
export * from "./names";
