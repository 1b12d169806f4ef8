/**
 * ha-webstack: components for a highly available web stack on AWS.
 *
 *     import { WebStack } from "ha-webstack";
 *     const web = new WebStack("shop", { mode: "active-passive", azCount: 3 });
 *     export const url = web.url;
 */
export * from "./certificate";
export * from "./config";
export * from "./database";
export * from "./failoverController";
export * from "./features";
export * from "./flowLogs";
export * from "./loadBalancer";
export * from "./logBucket";
export * from "./monitoring";
export * from "./network";
export * from "./serverPool";
export * from "./tags";
export * from "./tlsPolicies";
export * from "./userData";
export * from "./validation";
export * from "./webAcl";
export * from "./webStack";
