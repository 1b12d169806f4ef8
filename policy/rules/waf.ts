import * as aws from "@pulumi/aws";
import { StackValidationPolicy } from "@pulumi/policy";
import { getPulumiType, readKnown, knownValues, refersTo } from "../helpers";

// ---------------------------------------------------------------------------------------------
// WAF: a regional web ACL protects nothing until it is associated with a resource.
// https://docs.aws.amazon.com/waf/latest/developerguide/web-acl-associating-aws-resource.html
// ---------------------------------------------------------------------------------------------

export const wafWebAclAssociated: StackValidationPolicy = {
    name: "wafv2-web-acl-associated",
    description:
        "Every regional aws.wafv2.WebAcl is associated with a resource (an aws.wafv2.WebAclAssociation whose webAclArn is the ACL).",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const associations = args.resources.filter((r) => r.type === getPulumiType(aws.wafv2.WebAclAssociation));
        for (const acl of args.resources.filter((r) => r.type === getPulumiType(aws.wafv2.WebAcl))) {
            if (readKnown(acl.props, "scope") !== "REGIONAL") {
                continue; // CloudFront ACLs are attached through the distribution's webAclId
            }
            if (!associations.some((a) => refersTo(a, "webAclArn", acl, knownValues(acl, ["arn"])))) {
                report(
                    `web ACL "${acl.name}" has no aws.wafv2.WebAclAssociation whose webAclArn is this ACL: it filters no traffic.`,
                    acl.urn,
                );
            }
        }
    },
};
