/** Small helpers over an offline evaluation (scripts/offline.ts) shared by the test files. */
import { Evaluation, readStackConfigFile, RegisteredResource } from "../scripts/offline";

export const T = {
    vpc: "aws:ec2/vpc:Vpc",
    subnet: "aws:ec2/subnet:Subnet",
    routeTable: "aws:ec2/routeTable:RouteTable",
    natGateway: "aws:ec2/natGateway:NatGateway",
    eip: "aws:ec2/eip:Eip",
    defaultSg: "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    vpcEndpoint: "aws:ec2/vpcEndpoint:VpcEndpoint",
    sg: "aws:ec2/securityGroup:SecurityGroup",
    ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    alb: "aws:lb/loadBalancer:LoadBalancer",
    listener: "aws:lb/listener:Listener",
    targetGroup: "aws:lb/targetGroup:TargetGroup",
    certificate: "aws:acm/certificate:Certificate",
    launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
    asg: "aws:autoscaling/group:Group",
    fn: "aws:lambda/function:Function",
    invocation: "aws:lambda/invocation:Invocation",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    policyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    instanceProfile: "aws:iam/instanceProfile:InstanceProfile",
    alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
} as const;

export function ofType(ev: Evaluation, type: string): RegisteredResource[] {
    return ev.resources.filter((r) => r.type === type);
}

/** The one resource of `type` (whose name ends with `suffix`, when given); fails when there is not exactly one. */
export function only(ev: Evaluation, type: string, suffix = ""): RegisteredResource {
    const found = ofType(ev, type).filter((r) => r.name.endsWith(suffix));
    if (found.length !== 1) {
        throw new Error(
            `expected one ${type}${suffix ? ` named *${suffix}` : ""}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`,
        );
    }
    return found[0];
}

/** The resource whose mock id (its logical name, a bucket's name) or ARN is `ref`. */
export function resolveRef(ev: Evaluation, ref: unknown): RegisteredResource | undefined {
    return ev.resources.find((r) => r.custom && (r.id === ref || r.state.arn === ref));
}

/** The resources as the policy pack sees them: the properties AWS would report. */
export function policyView(ev: Evaluation) {
    return ev.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.state, id: r.id }));
}

/** A shipped stack's config with some keys replaced (`undefined` removes a key); keys without a namespace are ha-webstack's. */
export function stackConfig(stack: string, overrides: Record<string, string | undefined> = {}): Record<string, string> {
    const config = readStackConfigFile(stack);
    for (const [key, value] of Object.entries(overrides)) {
        const fullKey = key.includes(":") ? key : `ha-webstack:${key}`;
        if (value === undefined) {
            delete config[fullKey];
        } else {
            config[fullKey] = value;
        }
    }
    return config;
}

/** The decoded user data of a launch template. */
export function userDataOf(launchTemplate: RegisteredResource): string {
    return Buffer.from(launchTemplate.inputs.userData, "base64").toString("utf8");
}

/**
 * Expects the evaluation to fail with `message` before any cloud resource was registered
 * (components may have registered themselves: they create nothing in the cloud).
 */
export async function expectRejectedBeforeCreate(
    evaluation: Promise<Evaluation>,
    message: string | RegExp,
): Promise<void> {
    const error = await evaluation.then(
        () => undefined,
        (e: unknown) => e as Error & { registeredResources?: RegisteredResource[] },
    );
    if (!error) {
        throw new Error(`expected the evaluation to fail with ${String(message)}, but it succeeded`);
    }
    expect(error.message).toEqual(
        typeof message === "string" ? expect.stringContaining(message) : expect.stringMatching(message),
    );
    expect((error.registeredResources ?? []).filter((r) => r.custom).map((r) => r.name)).toEqual([]);
}
