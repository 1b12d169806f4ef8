/**
 * The plan's resource tree: every resource under its component, one line each with the settings
 * a reviewer wants to see (listeners and weights, health checks, subnets and AZs, rules).
 */
import type { RegisteredResource } from "../offline";

type Describe = (r: RegisteredResource, ref: (v: unknown) => string) => string;

/** One line per resource type: the settings a reviewer wants to see. */
const DESCRIBE: Record<string, Describe> = {
    "aws:ec2/vpc:Vpc": (r) => `${r.inputs.cidrBlock}, DNS hostnames ${on(r.inputs.enableDnsHostnames)}`,
    "aws:ec2/subnet:Subnet": (r) => `${r.inputs.cidrBlock} in ${r.inputs.availabilityZone} (${r.inputs.tags?.Tier})`,
    "aws:ec2/routeTable:RouteTable": (r, ref) =>
        (r.inputs.routes ?? []).length === 0
            ? "local routes only"
            : r.inputs.routes.map((x: any) => `${x.cidrBlock} → ${ref(x.gatewayId ?? x.natGatewayId)}`).join(", "),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": (r, ref) =>
        `${ref(r.inputs.subnetId)} → ${ref(r.inputs.routeTableId)}`,
    "aws:ec2/natGateway:NatGateway": (r, ref) => `in ${ref(r.inputs.subnetId)}`,
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": (r) =>
        `${(r.inputs.ingress ?? []).length} ingress, ${(r.inputs.egress ?? []).length} egress rules`,
    "aws:ec2/vpcEndpoint:VpcEndpoint": (r, ref) =>
        `${r.inputs.vpcEndpointType} ${r.inputs.serviceName} for ${(r.inputs.routeTableIds ?? []).map(ref).join(", ")}`,
    "aws:ec2/securityGroup:SecurityGroup": (r) => r.inputs.description ?? "",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (r, ref) =>
        `${ref(r.inputs.securityGroupId)} ← ${rule(r, ref)}`,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": (r, ref) =>
        `${ref(r.inputs.securityGroupId)} → ${rule(r, ref)}`,
    "aws:lb/loadBalancer:LoadBalancer": (r, ref) =>
        `${r.inputs.internal ? "internal" : "internet-facing"} ${r.inputs.loadBalancerType} in ${(r.inputs.subnets ?? []).map(ref).join(", ")}; ` +
        `dropInvalidHeaderFields ${on(r.inputs.dropInvalidHeaderFields)}, deletion protection ${on(r.inputs.enableDeletionProtection)}`,
    "aws:lb/listener:Listener": (r, ref) => {
        const actions = (r.inputs.defaultActions ?? []).map((a: any) => {
            if (a.type === "redirect") {
                return `redirect ${a.redirect.statusCode.replace("HTTP_", "")} to ${a.redirect.protocol}:${a.redirect.port}`;
            }
            if (a.type === "forward") {
                return `forward to ${(a.forward?.targetGroups ?? []).map((t: any) => `${ref(t.arn)} weight ${t.weight}`).join(", ")}`;
            }
            return a.type;
        });
        const tls =
            r.inputs.protocol === "HTTPS"
                ? ` (${r.inputs.sslPolicy}, certificate ${ref(r.inputs.certificateArn)})`
                : "";
        return `${r.inputs.protocol}:${r.inputs.port}${tls} → ${actions.join("; ")}`;
    },
    "aws:lb/targetGroup:TargetGroup": (r) => {
        const h = r.inputs.healthCheck ?? {};
        return (
            `${r.inputs.protocol}:${r.inputs.port} name prefix ${r.inputs.namePrefix}, ${r.inputs.loadBalancingAlgorithmType}; ` +
            `health ${h.path} every ${h.interval}s, unhealthy after ${h.unhealthyThreshold}, healthy after ${h.healthyThreshold}`
        );
    },
    "aws:ec2/launchTemplate:LaunchTemplate": (r, ref) => {
        const ebs = r.inputs.blockDeviceMappings?.[0]?.ebs ?? {};
        return (
            `${r.inputs.instanceType} ${r.inputs.imageId}; IMDS tokens ${r.inputs.metadataOptions?.httpTokens}; ` +
            `root ${ebs.volumeSize} GiB ${ebs.volumeType} encrypted=${ebs.encrypted}; key pair ${r.inputs.keyName ?? "none"}; ` +
            `groups ${(r.inputs.vpcSecurityGroupIds ?? []).map(ref).join(", ")}; user data ${Buffer.from(r.inputs.userData ?? "", "base64").length} bytes`
        );
    },
    "aws:autoscaling/group:Group": (r, ref) =>
        `${r.inputs.minSize}..${r.inputs.maxSize} (desired ${r.inputs.desiredCapacity}) in ${(r.inputs.vpcZoneIdentifiers ?? []).map(ref).join(", ")}; ` +
        `health check ${r.inputs.healthCheckType}; target groups ${(r.inputs.targetGroupArns ?? []).map(ref).join(", ")}`,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": (r, ref) => `${ref(r.inputs.role)} ← ${r.inputs.policyArn}`,
    "aws:lambda/function:Function": (r) =>
        `${r.inputs.runtime} ${r.inputs.architectures?.join(",") ?? ""}, timeout ${r.inputs.timeout}s, reserved concurrency ${r.inputs.reservedConcurrentExecutions ?? "none"}` +
        (r.inputs.environment?.variables?.FAILBACK
            ? `; failback ${r.inputs.environment.variables.FAILBACK} after ${r.inputs.environment.variables.FAILBACK_AFTER_SECONDS}s`
            : ""),
    "aws:cloudwatch/eventRule:EventRule": (r) => r.inputs.scheduleExpression ?? r.inputs.eventPattern ?? "",
    "aws:cloudwatch/metricAlarm:MetricAlarm": (r, ref) =>
        `${r.inputs.namespace ?? "metric math"} ${r.inputs.metricName ?? ""} ${r.inputs.comparisonOperator} ${r.inputs.threshold} → ${(r.inputs.alarmActions ?? []).map(ref).join(", ")}`,
    "aws:lambda/permission:Permission": (r, ref) => `${r.inputs.principal} may invoke ${ref(r.inputs.function)}`,
    "aws:iam/rolePolicy:RolePolicy": (r, ref) => {
        const statements = JSON.parse(r.inputs.policy ?? "{}").Statement ?? [];
        return (
            `${ref(r.inputs.role)}: ` +
            statements
                .map((st: any) => `${[].concat(st.Action).join(",")} on ${[].concat(st.Resource).map(ref).join(",")}`)
                .join("; ")
        );
    },
    "aws:rds/instance:Instance": (r, ref) =>
        r.inputs.replicateSourceDb
            ? `read replica of ${ref(r.inputs.replicateSourceDb)} in ${r.inputs.availabilityZone ?? "any AZ"}, ${r.inputs.instanceClass}`
            : `MySQL ${r.inputs.engineVersion} ${r.inputs.instanceClass} in ${r.inputs.multiAz ? "Multi-AZ" : r.inputs.availabilityZone}, ` +
              `${r.inputs.allocatedStorage} GiB ${r.inputs.storageType} encrypted=${r.inputs.storageEncrypted}, public=${r.inputs.publiclyAccessible}, ` +
              `backups ${r.inputs.backupRetentionPeriod} d, final snapshot ${r.inputs.skipFinalSnapshot ? "skipped" : r.inputs.finalSnapshotIdentifier}`,
    "aws:rds/parameterGroup:ParameterGroup": (r) =>
        `${r.inputs.family}: ${(r.inputs.parameters ?? []).map((p: any) => `${p.name}=${p.value}`).join(", ")}`,
    "aws:rds/subnetGroup:SubnetGroup": (r, ref) => (r.inputs.subnetIds ?? []).map(ref).join(", "),
    "aws:secretsmanager/secretVersion:SecretVersion": (r) =>
        r.secretPaths.includes("secretString") ? "secret string (a Pulumi secret)" : "secret string in plain text!",
    "aws:s3/bucket:Bucket": (r) =>
        `prefix ${r.inputs.bucketPrefix ?? r.inputs.bucket}, forceDestroy ${on(r.inputs.forceDestroy)}`,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": (r) =>
        ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"].every((k) => r.inputs[k])
            ? "all public access blocked"
            : "public access NOT fully blocked",
    "aws:ec2/flowLog:FlowLog": (r, ref) =>
        `${r.inputs.trafficType} traffic of ${ref(r.inputs.vpcId)} → ${r.inputs.logDestinationType ?? "cloud-watch-logs"}`,
    "aws:cloudwatch/logGroup:LogGroup": (r) =>
        `${r.inputs.name ?? r.inputs.namePrefix}…, kept ${r.inputs.retentionInDays} days`,
    "aws:wafv2/webAcl:WebAcl": (r) => `${r.inputs.scope}: ${(r.inputs.rules ?? []).map((x: any) => x.name).join(", ")}`,
    "aws:route53/record:Record": (r) => `${r.inputs.type} ${r.inputs.name}`,
    "aws:acm/certificate:Certificate": (r) =>
        r.inputs.certificateBody
            ? "imported (self-signed)"
            : `${r.inputs.domainName} validated by ${r.inputs.validationMethod}`,
};

function on(flag: unknown): string {
    return flag ? "on" : "off";
}

function rule(r: RegisteredResource, ref: (v: unknown) => string): string {
    const source =
        r.inputs.cidrIpv4 ??
        r.inputs.cidrIpv6 ??
        (r.inputs.referencedSecurityGroupId ? ref(r.inputs.referencedSecurityGroupId) : r.inputs.prefixListId);
    const ports =
        r.inputs.ipProtocol === "-1"
            ? "all traffic"
            : `${r.inputs.ipProtocol} ${r.inputs.fromPort === r.inputs.toPort ? r.inputs.fromPort : `${r.inputs.fromPort}-${r.inputs.toPort}`}`;
    return `${ports} ${source}`;
}

function shortType(type: string): string {
    return type.split(":")[2];
}

export function renderTree(
    stack: string,
    config: Record<string, string>,
    resources: RegisteredResource[],
    outputs: Record<string, unknown>,
): string {
    // References print as the name of the resource they point at, not its mock id or ARN.
    const names = new Map<string, string>();
    for (const r of resources) {
        for (const key of ["arn", "id", "name"]) {
            const v = key === "id" ? (r.id ?? r.name) : r.state[key];
            if (typeof v === "string" && !names.has(v)) {
                names.set(v, r.name);
            }
        }
    }
    const ref = (v: unknown) => (typeof v === "string" ? (names.get(v) ?? v) : JSON.stringify(v));
    const children = new Map<string | undefined, RegisteredResource[]>();
    for (const r of resources) {
        children.set(r.parentUrn, [...(children.get(r.parentUrn) ?? []), r]);
    }
    const lines: string[] = [];
    const walk = (r: RegisteredResource, prefix: string, last: boolean, root: boolean) => {
        const describe = DESCRIBE[r.type];
        const detail = describe ? `  ${describe(r, ref)}` : "";
        lines.push(`${root ? "" : prefix + (last ? "└─ " : "├─ ")}${shortType(r.type)} ${r.name}${detail}`);
        const kids = (children.get(r.urn) ?? []).sort(
            (a, b) =>
                Number(a.custom) - Number(b.custom) ||
                a.type.localeCompare(b.type) ||
                a.name.localeCompare(b.name, "en", { numeric: true }),
        );
        kids.forEach((k, i) => walk(k, root ? "" : prefix + (last ? "   " : "│  "), i === kids.length - 1, false));
    };
    (children.get(undefined) ?? []).forEach((r) => walk(r, "", true, true));

    const counts = new Map<string, number>();
    resources.filter((r) => r.custom).forEach((r) => counts.set(r.type, (counts.get(r.type) ?? 0) + 1));
    const settings = Object.entries(config)
        .map(([k, v]) => `${k}=${v}`)
        .join("  ");
    return [
        `ha-webstack plan: stack "${stack}", evaluated offline under mocks (nothing is created)`,
        `config: ${settings || "(defaults)"}`,
        "",
        ...lines,
        "",
        `${[...counts.values()].reduce((a, b) => a + b, 0)} resources in ${resources.filter((r) => !r.custom).length} components:`,
        ...[...counts.entries()].sort().map(([type, n]) => `  ${String(n).padStart(3)} ${type}`),
        "",
        "outputs:",
        ...Object.entries(outputs).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`),
    ].join("\n");
}
