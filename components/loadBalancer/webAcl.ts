import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { featureOptions } from "../shared/features";
import { named, Tags } from "../shared/tags";
import { integerIn } from "../shared/validation";

/** The `waf` argument: `{}` for the defaults, `{ enabled: false }` for none, or the options. */
export interface WafOptions {
    /**
     * `false` turns the web ACL off; an options object without it turns them on.
     * @default true
     */
    enabled?: boolean;
    /**
     * Requests one client IP may send in any 5-minute window before WAF blocks it (until its rate
     * falls below the limit again).
     * @default 2000
     */
    rateLimitPerFiveMinutes?: number;
}

export interface WafSettings {
    rateLimitPerFiveMinutes: number;
}

/**
 * Bounds of a rate-based rule's limit (requests per evaluation window). AWS accepts up to
 * 2,000,000,000; the minimum is 10 in most commercial regions since August 2024 but still 100 in
 * others (Hyderabad, Melbourne, Spain, Zurich, Tel Aviv, GovCloud, China), so 100 is the floor
 * that works everywhere. https://docs.aws.amazon.com/waf/latest/APIReference/API_RateBasedStatement.html
 */
export const WAF_RATE_LIMIT = { min: 100, max: 2_000_000_000, default: 2000 } as const;

/**
 * The AWS managed rule groups the web ACL runs (override action none: their own block actions
 * apply). Core rule set (OWASP-style: bad user agents, size limits, LFI/RFI, XSS...) 700 WCU; known
 * bad inputs (Log4j, Java deserialization, Host header localhost...) 200 WCU; with the rate rule
 * (2 WCU) well below the 1,500 WCU a web ACL includes.
 * https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html
 */
export const WAF_MANAGED_RULE_GROUPS = [
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
] as const;

/** The rate limit of a rate-based rule per client IP and 5 minutes, from 100 to 2,000,000,000. */
export function wafRateLimit(key: string, value: unknown): number {
    return integerIn(key, value, WAF_RATE_LIMIT.min, WAF_RATE_LIMIT.max);
}

/** Checks the `waf` argument: `undefined` when off (the default). */
export function wafSettings(key: string, value: unknown): WafSettings | undefined {
    const options = featureOptions<WafOptions>(key, value, false, ["rateLimitPerFiveMinutes"]);
    if (options === undefined) {
        return undefined;
    }
    return {
        rateLimitPerFiveMinutes: wafRateLimit(
            `${key}.rateLimitPerFiveMinutes`,
            options.rateLimitPerFiveMinutes ?? WAF_RATE_LIMIT.default,
        ),
    };
}

/**
 * WAF metric names: 1-128 characters from letters, digits and `-_#:./`, no whitespace, not `All`
 * or `Default_Action`. Names here are built from the component name (letters, digits, hyphens,
 * at most 20 characters), so they always fit. https://docs.aws.amazon.com/waf/latest/APIReference/API_VisibilityConfig.html
 */
function metricName(text: string): string {
    return text.replace(/[^A-Za-z0-9_#:./-]/g, "-").slice(0, 128);
}

/** Metrics and sampled requests on, for the web ACL and for each rule. */
function visibility(metric: string) {
    return { cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: metricName(metric) };
}

/**
 * A regional WAF web ACL for the load balancer: default action allow; a rate-based rule that
 * blocks a client IP above `rateLimitPerFiveMinutes` requests per 5 minutes (first: floods stop
 * before the managed groups run); then the AWS managed rule groups; CloudWatch metrics and
 * sampled requests on every rule. Associated with the load balancer.
 */
export function createWebAcl(
    name: string,
    settings: WafSettings,
    loadBalancerArn: pulumi.Input<string>,
    parent: pulumi.Resource,
    tags?: Tags,
): { webAcl: aws.wafv2.WebAcl; association: aws.wafv2.WebAclAssociation } {
    const managedRules = WAF_MANAGED_RULE_GROUPS.map((group, i) => ({
        name: group,
        priority: i + 1,
        overrideAction: { none: {} },
        statement: { managedRuleGroupStatement: { vendorName: "AWS", name: group } },
        visibilityConfig: visibility(`${name}-${group}`),
    }));
    const webAcl = new aws.wafv2.WebAcl(
        `${name}-waf`,
        {
            description: `ha-webstack ${name}: rate limit per client IP and AWS managed rules for the load balancer`,
            scope: "REGIONAL",
            defaultAction: { allow: {} },
            rules: [
                {
                    name: "rate-limit-per-ip",
                    priority: 0,
                    action: { block: {} },
                    statement: {
                        rateBasedStatement: {
                            limit: settings.rateLimitPerFiveMinutes,
                            aggregateKeyType: "IP",
                            evaluationWindowSec: 300,
                        },
                    },
                    visibilityConfig: visibility(`${name}-rate-limit-per-ip`),
                },
                ...managedRules,
            ],
            visibilityConfig: visibility(`${name}-waf`),
            tags: named(tags, `${name}-waf`),
        },
        { parent },
    );
    const association = new aws.wafv2.WebAclAssociation(
        `${name}-waf-alb`,
        { resourceArn: loadBalancerArn, webAclArn: webAcl.arn },
        { parent },
    );
    return { webAcl, association };
}
