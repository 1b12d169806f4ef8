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
 *
 * This file is the package's public API (`exports["."]` in package.json): the components, their
 * args and the types those args use, and the helpers the README documents. Everything else is
 * internal and may change in any release; add a name here only with a CHANGELOG entry.
 */

// The whole stack in one component, and the stack's config reader.
export { WebStack } from "./webStack";
export type { WebStackArgs } from "./webStack";
export { readStackConfig, CONFIG_NAMESPACE, CONFIG_KEYS } from "./webStack";
export type { ConfigKey } from "./webStack";

// Network: a VPC over 2 to 6 AZs.
export { Network, NatGatewayMode, NAT_GATEWAY_MODES, MIN_AZS, MAX_AZS } from "./network";
export type { NetworkArgs, FlowLogOptions } from "./network";

// LoadBalancer: the ALB, its listeners and target groups, TLS, WAF, access logs.
export { LoadBalancer, Mode, MODES, Algorithm, ALGORITHMS, CertificateMode } from "./loadBalancer";
export type { LoadBalancerArgs, AccessLogOptions, WafOptions } from "./loadBalancer";

// ServerPool: a launch template and an Auto Scaling group.
export { ServerPool } from "./serverPool";
export type {
    ServerPoolArgs,
    ServerPoolScaling,
    ServerPoolDatabase,
    UserDataOptions,
    UserDataFile,
} from "./serverPool";

// Database: a MySQL primary and its read replicas.
export { Database, MAX_REPLICAS } from "./database";
export type { DatabaseArgs } from "./database";

// FailoverController: moves the ALB's weights in active-passive mode.
export { FailoverController, FailbackPolicy, FAILBACK_POLICIES } from "./failoverController";
export type { FailoverControllerArgs } from "./failoverController";

// Monitoring: alarms, dashboard, alert topic, the servers' log groups.
export {
    Monitoring,
    TargetGroupRole,
    TARGET_GROUP_ROLES,
    DEFAULT_THRESHOLDS,
    cloudWatchAgentUserData,
} from "./monitoring";
export type {
    MonitoringArgs,
    MonitoringLoadBalancer,
    MonitoringTargetGroup,
    MonitoringAutoScalingGroup,
    MonitoringDatabase,
    MonitoringFailoverController,
    Thresholds,
    CloudWatchAgentOptions,
} from "./monitoring";

// Shared: tags, TLS policies, and the error every invalid argument throws.
export { ValidationError } from "./shared/validation";
export { TLS_POLICIES, DEFAULT_TLS_POLICY } from "./shared/tlsPolicies";
export type { Tags } from "./shared/tags";
