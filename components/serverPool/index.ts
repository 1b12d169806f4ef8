// The serverPool component and what a user of it needs.
export * from "./args";
export * from "./serverPool";
export * from "./settings";
export * from "./userData";
export * from "./scaling";
export * from "./rollout";
export * from "./image";
