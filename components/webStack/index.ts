// The webStack component and what a user of it needs.
export * from "./args";
export * from "./config";
export * from "./configKeys";
export * from "./webStack";
