/**
 * ha-webstack: components for a highly available web stack on AWS.
 *
 *     import { WebStack } from "ha-webstack";
 *     const web = new WebStack("shop", { mode: "active-passive", azCount: 3 });
 *     export const url = web.url;
 *
 * One folder per component (`network/`, `loadBalancer/`, `serverPool/`, `database/`,
 * `failoverController/`, `monitoring/`, and `webStack/`, which composes them); helpers that
 * several components use live in `shared/`.
 */
export * from "./database";
export * from "./failoverController";
export * from "./loadBalancer";
export * from "./monitoring";
export * from "./network";
export * from "./serverPool";
export * from "./shared/contracts";
export * from "./shared/features";
export * from "./shared/healthCheck";
export * from "./shared/tags";
export * from "./shared/tlsPolicies";
export * from "./shared/validation";
export * from "./webStack";
