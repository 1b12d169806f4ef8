import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ServerPoolArgs } from "./args";
import { named, Tags } from "../shared/tags";
import { validateServerPoolArgs } from "./settings";
import { createScalingPolicies } from "./scaling";
import { serverImageId } from "./image";
import { createRolloutStarter, RolloutStarter } from "./rolloutStarter";
import { renderUserData, UserDataOptions } from "./userData";
import { BundleStore, createBundleStore, serverBundle } from "./bundle";
import {
    autoScalingGroupName,
    createLifecyclePermission,
    LAUNCH_HOOK_NAME,
    launchHook,
    POOL_TAG_KEY,
    poolTagValue,
    READY_TIMEOUT_SECONDS,
} from "./lifecycle";

/** Instances are given this long after launch before ELB health checks count (user data installs nginx). */
export const HEALTH_CHECK_GRACE_SECONDS = 180;
/** A new instance's metrics count towards scaling this long after it is in service. */
export const INSTANCE_WARMUP_SECONDS = 120;

/**
 * An Auto Scaling group of web servers behind one target group: a launch template (Amazon Linux
 * 2023, IMDSv2 only, encrypted gp3 root, no key pair, SSM Session Manager for shell access), a
 * security group that admits only the load balancer on the app port, and ELB health checks so that
 * an instance the ALB sees as unhealthy is replaced.
 *
 * @example
 * const pool = new ServerPool("shop-web", {
 *     vpcId: net.vpcId,
 *     subnetIds: net.privateSubnetIds,
 *     targetGroupArn: lb.activeTargetGroup.arn,
 *     loadBalancerSecurityGroupId: lb.securityGroup.id,
 *     database: db.connection,
 *     size: 2,
 * });
 * db.allowClient("web", pool.securityGroup.id);
 */
export class ServerPool extends pulumi.ComponentResource {
    public readonly securityGroup: aws.ec2.SecurityGroup;
    public readonly role: aws.iam.Role;
    public readonly instanceProfile: aws.iam.InstanceProfile;
    public readonly launchTemplate: aws.ec2.LaunchTemplate;
    public readonly autoScalingGroup: aws.autoscaling.Group;
    /** The target tracking policies (requests per server, CPU), as configured. */
    public readonly scalingPolicies: aws.autoscaling.Policy[];
    public readonly size: number;
    /** The server bundle's bucket and object (default user data only). */
    public readonly bundle?: BundleStore;
    /** The launch lifecycle hook's name (default user data only: its loader completes the hook). */
    public readonly launchHookName?: string;
    /** What starts the instance refresh of each new launch template version (rolloutStarter.ts). */
    public readonly rolloutStarter: RolloutStarter;

    constructor(name: string, args: ServerPoolArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ha-webstack:index:ServerPool", name, {}, opts);
        const settings = validateServerPoolArgs(args);
        const { appPort, size, maxSize, rootVolumeSizeGb } = settings;
        const tags = args.tags;
        this.size = size;

        this.securityGroup = this.createSecurityGroup(name, args, appPort);
        ({ role: this.role, instanceProfile: this.instanceProfile } = this.createInstanceRole(
            name,
            args.policyArns ?? [],
            tags,
        ));

        const instanceType = settings.instanceType;
        // An AMI id, never an SSM parameter: an instance refresh cannot roll back to the latter.
        const imageId = serverImageId(settings.imageId, instanceType, this);
        const region = aws.getRegionOutput({}, { parent: this }).region;
        const database = settings.database;
        const extras = args.userDataExtras ?? {};
        // The default user data boots the server bundle and completes the launch hook; own user
        // data gets neither (nothing would complete the hook, so every instance would be abandoned).
        const ownUserData = args.userData !== undefined;
        const project = pulumi.getProject();
        const stack = pulumi.getStack();
        const groupName = ownUserData ? undefined : autoScalingGroupName(project, stack, name);
        const poolTag = poolTagValue(project, stack, name);
        this.bundle = ownUserData ? undefined : createBundleStore(name, serverBundle(), this.role, this, tags);
        const lifecyclePermission =
            groupName === undefined ? undefined : createLifecyclePermission(name, this.role, groupName, poolTag, this);
        this.launchHookName = groupName === undefined ? undefined : LAUNCH_HOOK_NAME;
        const userData = args.userData ?? this.defaultUserData(region, appPort, settings.database, extras, groupName);
        if (database) {
            this.createSecretPolicy(name, database.secretArn);
        }

        this.launchTemplate = new aws.ec2.LaunchTemplate(
            `${name}-lt`,
            {
                description: `ha-webstack server pool ${name}`,
                imageId,
                instanceType,
                iamInstanceProfile: { arn: this.instanceProfile.arn },
                vpcSecurityGroupIds: [this.securityGroup.id],
                userData: pulumi.output(userData).apply((script) => Buffer.from(script, "utf8").toString("base64")),
                // IMDSv2 only (no token-less requests), one hop: containers on the host cannot reach it.
                metadataOptions: {
                    httpEndpoint: "enabled",
                    httpTokens: "required",
                    httpPutResponseHopLimit: 1,
                    instanceMetadataTags: "disabled",
                },
                blockDeviceMappings: [
                    {
                        deviceName: "/dev/xvda",
                        ebs: {
                            volumeType: "gp3",
                            volumeSize: rootVolumeSizeGb,
                            encrypted: "true",
                            deleteOnTermination: "true",
                        },
                    },
                ],
                // No keyName: shell access is through SSM Session Manager, so port 22 stays closed.
                tagSpecifications: ["instance", "volume"].map((resourceType) => ({
                    resourceType,
                    tags: named(tags, name),
                })),
                updateDefaultVersion: true,
                tags: named(tags, name),
            },
            { parent: this },
        );

        this.autoScalingGroup = new aws.autoscaling.Group(
            `${name}-asg`,
            {
                // Known before the group exists: the lifecycle permission and the user data name it.
                name: groupName,
                // Each new instance waits in Pending:Wait, out of the target group, until its loader
                // completes this hook (lifecycle.ts).
                initialLifecycleHooks: groupName === undefined ? undefined : [launchHook()],
                vpcZoneIdentifiers: args.subnetIds,
                minSize: size,
                desiredCapacity: size,
                maxSize,
                // The version at creation; later versions reach the group through the rollout
                // starter's instance refresh, which moves the group to them once it succeeds
                // (ignoreChanges below), so that a failed refresh can roll back to this one.
                launchTemplate: {
                    id: this.launchTemplate.id,
                    version: pulumi.interpolate`${this.launchTemplate.latestVersion}`,
                },
                targetGroupArns: [args.targetGroupArn],
                // Replace instances the ALB finds unhealthy, not only those EC2 finds impaired.
                healthCheckType: "ELB",
                healthCheckGracePeriod: HEALTH_CHECK_GRACE_SECONDS,
                defaultInstanceWarmup: INSTANCE_WARMUP_SECONDS,
                enabledMetrics: [
                    "GroupInServiceInstances",
                    "GroupDesiredCapacity",
                    "GroupTotalInstances",
                    "GroupPendingInstances",
                    "GroupTerminatingInstances",
                ],
                tags: Object.entries({ ...(tags ?? {}), Name: name, [POOL_TAG_KEY]: poolTag }).map(([key, value]) => ({
                    key,
                    value,
                    propagateAtLaunch: true,
                })),
            },
            // Scaling sets the desired capacity; Pulumi keeps min and max. A larger size raises the
            // minimum, and Auto Scaling brings the desired capacity up to it. The launch template
            // version is the instance refresh's to change (rolloutStarter.ts), not the provider's.
            {
                parent: this,
                ignoreChanges: ["desiredCapacity", "launchTemplate"],
                // The first instances complete their hook and read the bundle: the permissions come first.
                dependsOn: [lifecyclePermission, this.bundle?.readPolicy].filter(
                    (r): r is aws.iam.RolePolicy => r !== undefined,
                ),
            },
        );
        // A new launch template version rolls the pool: launch before terminate, checkpoints, and
        // a stop and rollback to the running version when the rollout's alarms fire.
        this.rolloutStarter = createRolloutStarter(
            name,
            {
                group: this.autoScalingGroup,
                launchTemplate: this.launchTemplate,
                instanceRole: this.role,
                settings: settings.rollout,
                warmupSeconds: INSTANCE_WARMUP_SECONDS,
                tags,
            },
            this,
        );
        this.scalingPolicies = createScalingPolicies(
            this,
            name,
            this.autoScalingGroup,
            args.targetGroupArn,
            settings.scaling,
            INSTANCE_WARMUP_SECONDS,
        );

        this.registerOutputs({
            securityGroupId: this.securityGroup.id,
            autoScalingGroupName: this.autoScalingGroup.name,
            launchTemplateId: this.launchTemplate.id,
            roleName: this.role.name,
        });
    }

    /** The loader's user data: the bundle to boot, the hook to complete, the app's config. */
    private defaultUserData(
        region: pulumi.Output<string>,
        appPort: number,
        database: ServerPoolArgs["database"],
        extras: Pick<UserDataOptions, "extraFiles" | "extraScript">,
        groupName: string | undefined,
    ): pulumi.Output<string> {
        const location = this.bundle!.location;
        const lifecycle =
            groupName === undefined
                ? undefined
                : {
                      autoScalingGroupName: groupName,
                      hookName: LAUNCH_HOOK_NAME,
                      readyTimeoutSeconds: READY_TIMEOUT_SECONDS,
                  };
        const base = pulumi.all([region, location.bucket, location.versionId]).apply(([r, bucket, versionId]) => ({
            region: r,
            stack: pulumi.getStack(),
            appPort,
            bundle: { bucket, key: location.key, versionId, sha256: location.sha256 },
            lifecycle,
        }));
        if (!database) {
            return base.apply((b) => renderUserData({ ...b, ...extras }));
        }
        return pulumi
            .all([
                base,
                database.writerHost,
                database.readerHosts,
                database.port,
                database.secretArn,
                database.databaseName,
            ])
            .apply(([b, writerHost, readerHosts, port, secretArn, databaseName]) =>
                renderUserData({
                    ...b,
                    db: {
                        writerHost,
                        writerPort: port,
                        readerHosts,
                        readerPort: port,
                        secretArn,
                        database: databaseName,
                    },
                    ...extras,
                }),
            );
    }

    private createSecurityGroup(name: string, args: ServerPoolArgs, appPort: number): aws.ec2.SecurityGroup {
        const tags = args.tags;
        const group = new aws.ec2.SecurityGroup(
            `${name}-sg`,
            {
                vpcId: args.vpcId,
                description: `Servers of ${name}: app port from the ALB only`,
                tags: named(tags, `${name}-servers`),
            },
            { parent: this },
        );
        new aws.vpc.SecurityGroupIngressRule(
            `${name}-in-from-alb`,
            {
                securityGroupId: group.id,
                referencedSecurityGroupId: args.loadBalancerSecurityGroupId,
                ipProtocol: "tcp",
                fromPort: appPort,
                toPort: appPort,
                description: "App port from the load balancer",
                tags: named(tags, `${name}-in-from-alb`),
            },
            { parent: this },
        );
        // HTTPS out only: package repositories (via NAT or the S3 endpoint), SSM Session Manager,
        // Secrets Manager, CloudWatch. DNS and NTP go to the VPC resolver, which security groups do not filter.
        new aws.vpc.SecurityGroupEgressRule(
            `${name}-out-https`,
            {
                securityGroupId: group.id,
                cidrIpv4: "0.0.0.0/0",
                ipProtocol: "tcp",
                fromPort: 443,
                toPort: 443,
                description: "HTTPS to package repositories and AWS APIs",
                tags: named(tags, `${name}-out-https`),
            },
            { parent: this },
        );
        new aws.vpc.SecurityGroupEgressRule(
            `${name}-alb-out`,
            {
                securityGroupId: args.loadBalancerSecurityGroupId,
                referencedSecurityGroupId: group.id,
                ipProtocol: "tcp",
                fromPort: appPort,
                toPort: appPort,
                description: `ALB to the servers of ${name}`,
                tags: named(tags, `${name}-alb-out`),
            },
            { parent: this },
        );
        return group;
    }

    /** Read access to the database secret, and to nothing else: one inline statement on its exact ARN. */
    private createSecretPolicy(name: string, secretArn: pulumi.Input<string>): aws.iam.RolePolicy {
        return new aws.iam.RolePolicy(
            `${name}-db-secret`,
            {
                role: this.role.name,
                policy: pulumi.output(secretArn).apply((arn) =>
                    JSON.stringify({
                        Version: "2012-10-17",
                        Statement: [
                            {
                                Sid: "ReadDatabaseSecret",
                                Effect: "Allow",
                                Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                                Resource: arn,
                            },
                        ],
                    }),
                ),
            },
            { parent: this },
        );
    }

    private createInstanceRole(name: string, policyArns: pulumi.Input<string>[], tags?: Tags) {
        const role = new aws.iam.Role(
            `${name}-role`,
            {
                description: `Instances of ${name}`,
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [
                        { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
                    ],
                }),
                tags: named(tags, `${name}-role`),
            },
            { parent: this },
        );
        const partition = aws.getPartitionOutput({}, { parent: this }).partition;
        const attached = [
            pulumi.interpolate`arn:${partition}:iam::aws:policy/AmazonSSMManagedInstanceCore`,
            ...policyArns,
        ];
        attached.forEach(
            (policyArn, i) =>
                new aws.iam.RolePolicyAttachment(
                    `${name}-policy-${i}`,
                    { role: role.name, policyArn },
                    { parent: this },
                ),
        );
        const instanceProfile = new aws.iam.InstanceProfile(
            `${name}-profile`,
            { role: role.name, tags: named(tags, `${name}-profile`) },
            { parent: this },
        );
        return { role, instanceProfile };
    }
}
