// Network: a VPC over 2 to 6 AZs with public, private and isolated subnets.
export * from "./args";
export * from "./flowLogs";
export * from "./network";
export * from "./settings";
export * from "./subnets";
export { MAX_AZS, MIN_AZS } from "../shared/validation";
export * from "./zones";
