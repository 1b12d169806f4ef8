import * as pulumi from "@pulumi/pulumi";

/**
 * The controller's IAM policy. The Describe* actions of Elastic Load Balancing support no
 * resource-level permissions (Resource must be `*`); everything that changes something is
 * scoped to one resource: this listener, this table, this topic, its own log group.
 * `DescribeTags` reads the state ha-webstack 0.1 kept in a listener tag, once.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awselasticloadbalancingv2.html
 */
export function failoverControllerPolicy(arns: {
    listenerArn: pulumi.Input<string>;
    tableArn: pulumi.Input<string>;
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
                Sid: "LeaseAndState",
                Effect: "Allow",
                Action: ["dynamodb:GetItem", "dynamodb:UpdateItem"],
                Resource: arns.tableArn,
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
