import * as aws from "@pulumi/aws";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";

// ---------------------------------------------------------------------------------------------
// Resilience advice. Not security: a development stack may choose otherwise, so these are
// advisory. `pulumi preview` and `npm run plan` list them; they never fail a deployment.
// ---------------------------------------------------------------------------------------------

/**
 * A single-AZ primary is a single point of failure for writes. With Multi-AZ, RDS keeps a
 * synchronous standby in another AZ and fails over to it, "typically within 60–120 seconds".
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.MultiAZSingleStandby.html
 */
export const rdsMultiAz: ResourceValidationPolicy = {
    name: "rds-multi-az",
    description:
        "RDS source instances run Multi-AZ (a standby in another AZ takes over writes when the primary's AZ fails).",
    enforcementLevel: "advisory",
    validateResource: validateResourceOfType(aws.rds.Instance, (db, _args, report) => {
        if (!db.replicateSourceDb && db.multiAz !== true) {
            report(
                `multiAz is ${JSON.stringify(db.multiAz ?? false)}: an outage of ${db.availabilityZone ?? "its AZ"} stops writes until RDS recovers the instance; set dbMultiAz: true for a standby that takes over in 60–120 s.`,
            );
        }
    }),
};

/**
 * An ALB without deletion protection is deleted by one `pulumi destroy` or a stray console click,
 * and with it its DNS name, which clients resolve.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html#deletion-protection
 */
export const albDeletionProtection: ResourceValidationPolicy = {
    name: "alb-deletion-protection",
    description: "Load balancers turn deletion protection on (a new ALB gets a new DNS name).",
    enforcementLevel: "advisory",
    validateResource: validateResourceOfType(aws.lb.LoadBalancer, (lb, _args, report) => {
        if (lb.enableDeletionProtection !== true) {
            report(
                `enableDeletionProtection is ${JSON.stringify(lb.enableDeletionProtection ?? false)}: the load balancer, and the DNS name clients use, can be deleted by accident; set deletionProtection: true for production.`,
            );
        }
    }),
};
