import * as aws from "@pulumi/aws";
import { ReportViolation, ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { TLS_POLICIES } from "../../components/shared/tlsPolicies";

// ---------------------------------------------------------------------------------------------
// Load balancer
// ---------------------------------------------------------------------------------------------

/** The TLS 1.2/1.3 policies the library accepts (components/shared/tlsPolicies.ts, one list for both). */
export const ALLOWED_SSL_POLICIES: ReadonlyArray<string> = TLS_POLICIES;

/** The fields of `aws.lb.Listener` / `aws.alb.Listener` inputs this pack reads. */
export interface ListenerInputs {
    protocol?: string;
    sslPolicy?: string;
    defaultActions?: ReadonlyArray<{ type: string; redirect?: { protocol?: string } }>;
}

/**
 * HTTPS (or TLS) listeners use an allow-listed policy; a plaintext listener only redirects to HTTPS.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html#redirect-actions
 */
export function checkListener(listener: ListenerInputs, report: ReportViolation): void {
    const protocol = (listener.protocol ?? "HTTP").toUpperCase(); // an ALB listener defaults to HTTP
    if (protocol === "HTTPS" || protocol === "TLS") {
        if (!listener.sslPolicy) {
            report(
                `sslPolicy is not set on a ${protocol} listener: AWS then applies ELBSecurityPolicy-2016-08 (TLS 1.0+); use ${ALLOWED_SSL_POLICIES[0]}.`,
            );
        } else if (ALLOWED_SSL_POLICIES.indexOf(listener.sslPolicy) < 0) {
            report(
                `sslPolicy "${listener.sslPolicy}" is not an allowed TLS 1.2/1.3 policy; use ${ALLOWED_SSL_POLICIES[0]} (see ALLOWED_SSL_POLICIES).`,
            );
        }
        return;
    }
    const actions = listener.defaultActions ?? [];
    const notRedirect = actions.filter(
        (a) => a.type !== "redirect" || (a.redirect?.protocol ?? "").toUpperCase() !== "HTTPS",
    );
    if (actions.length === 0 || notRedirect.length > 0) {
        const offending = notRedirect.map(
            (a) => `type "${a.type}"${a.redirect ? ` to protocol "${a.redirect.protocol ?? "#{protocol}"}"` : ""}`,
        );
        report(
            `protocol "${protocol}" serves plaintext: every defaultActions entry must redirect to protocol "HTTPS" ` +
                `(found ${offending.length > 0 ? offending.join(", ") : "no default action"}).`,
        );
    }
}

export const listenerTls: ResourceValidationPolicy = {
    name: "lb-listener-https-modern-tls",
    description:
        "Load balancer listeners use HTTPS with a TLS 1.2/1.3 security policy from the allow-list; HTTP listeners only redirect to HTTPS.",
    enforcementLevel: "mandatory",
    validateResource: [
        validateResourceOfType(aws.lb.Listener, (listener, _args, report) => checkListener(listener, report)),
        validateResourceOfType(aws.alb.Listener, (listener, _args, report) => checkListener(listener, report)),
    ],
};

/** The fields of `aws.lb.LoadBalancer` / `aws.alb.LoadBalancer` inputs this pack reads. */
export interface LoadBalancerInputs {
    loadBalancerType?: string;
    dropInvalidHeaderFields?: boolean;
}

/**
 * Dropping headers with invalid field names closes a request-smuggling vector (Security Hub ELB.4).
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#load-balancer-attributes
 */
export function checkDropInvalidHeaders(lb: LoadBalancerInputs, report: ReportViolation): void {
    const type = lb.loadBalancerType ?? "application"; // the provider's default
    if (type === "application" && lb.dropInvalidHeaderFields !== true) {
        report(
            `dropInvalidHeaderFields is ${JSON.stringify(lb.dropInvalidHeaderFields)} on an application load balancer; set it to true.`,
        );
    }
}

export const albDropInvalidHeaders: ResourceValidationPolicy = {
    name: "alb-drop-invalid-header-fields",
    description:
        "Application load balancers drop HTTP headers with invalid field names (dropInvalidHeaderFields: true).",
    enforcementLevel: "mandatory",
    validateResource: [
        validateResourceOfType(aws.lb.LoadBalancer, (lb, _args, report) => checkDropInvalidHeaders(lb, report)),
        validateResourceOfType(aws.alb.LoadBalancer, (lb, _args, report) => checkDropInvalidHeaders(lb, report)),
    ],
};
