import * as pulumi from "@pulumi/pulumi";
import { STATE_TAG_KEY } from "../../lambda/failover/protocol";

/**
 * The controller's IAM policy. The Describe* actions of Elastic Load Balancing support no
 * resource-level permissions (Resource must be `*`); everything that changes something is
 * scoped to one resource.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awselasticloadbalancingv2.html
 */
export function failoverControllerPolicy(arns: {
    listenerArn: pulumi.Input<string>;
    topicArn: pulumi.Input<string>;
    logGroupArn: pulumi.Input<string>;
}): pulumi.Output<string> {
    return pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ReadHealthAndWeights",
                Effect: "Allow",
                Action: [
                    "elasticloadbalancing:DescribeTargetHealth",
                    "elasticloadbalancing:DescribeListeners",
                    "elasticloadbalancing:DescribeTags",
                ],
                Resource: "*",
            },
            {
                Sid: "MoveWeights",
                Effect: "Allow",
                Action: "elasticloadbalancing:ModifyListener",
                Resource: arns.listenerArn,
            },
            {
                Sid: "KeepStateInOneTag",
                Effect: "Allow",
                Action: ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
                Resource: arns.listenerArn,
                Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": [STATE_TAG_KEY] } },
            },
            { Sid: "Notify", Effect: "Allow", Action: "sns:Publish", Resource: arns.topicArn },
            {
                Sid: "OwnLogs",
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                Resource: pulumi.interpolate`${arns.logGroupArn}:*`,
            },
        ],
    });
}
