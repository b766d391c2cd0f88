/** The catalog: image facts, tag schemes, compatibility rules and advisories (pure data and functions). */
export * from "./images";
export * from "./tags";
export * from "./reference";
export * from "./rules";
export * from "./advisories";
export * from "./packages";
