// The loadBalancer component and what a user of it needs.
export * from "./args";
export * from "./certificate";
export * from "./loadBalancer";
export * from "./logBucket";
export * from "./settings";
export * from "./webAcl";
