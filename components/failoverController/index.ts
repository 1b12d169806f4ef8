// The failoverController component and what a user of it needs.
export * from "./args";
export * from "./bundle";
export * from "./failoverController";
export * from "./iamPolicy";
export * from "./settings";
export * from "./timing";
