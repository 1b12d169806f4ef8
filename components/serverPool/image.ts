/**
 * The AMI a pool's launch template names: always an AMI id. An instance refresh can roll back
 * only to a launch template whose image is an AMI id, not an SSM parameter (`resolve:ssm:`), so
 * the parameter is read here, at deploy time, instead of by EC2 at launch.
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/instance-refresh-rollback.html
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { invalid } from "../shared/validation";
import { amazonLinuxParameter } from "./settings";

const SSM_PREFIX = "resolve:ssm:";
const AMI_ID = /^ami-[0-9a-f]{8,17}$/;

/**
 * `imageId` as given when it is an AMI id; otherwise the AMI id held by its SSM parameter (or by
 * the latest Amazon Linux 2023 parameter for the instance type's architecture, when unset).
 */
export function serverImageId(
    imageId: pulumi.Input<string> | undefined,
    instanceType: pulumi.Input<string>,
    parent: pulumi.Resource,
): pulumi.Output<string> {
    const parameter = pulumi
        .all([imageId, instanceType])
        .apply(([id, type]) =>
            id === undefined
                ? amazonLinuxParameter(type)
                : id.startsWith(SSM_PREFIX)
                  ? id.slice(SSM_PREFIX.length)
                  : undefined,
        );
    return pulumi
        .all([imageId, parameter])
        .apply(([id, name]) =>
            name === undefined
                ? pulumi.output(id as string)
                : aws.ssm
                      .getParameterOutput({ name }, { parent })
                      .value.apply((value) => amiFromParameter(name, value)),
        );
}

/** The parameter's value when it is an AMI id; anything else is an error, not a guess. */
export function amiFromParameter(parameter: string, value: unknown): string {
    if (typeof value !== "string" || !AMI_ID.test(value)) {
        throw invalid(`the SSM parameter ${parameter}`, value, "an AMI id (ami-0123456789abcdef0)");
    }
    return value;
}
