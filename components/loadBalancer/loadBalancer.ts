import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Algorithm, LoadBalancerArgs, Mode } from "./args";
import { HEALTH_CHECK } from "../shared/healthCheck";
import { named, Tags } from "../shared/tags";
import { CertificateMode, createListenerCertificate } from "./certificate";
import { createAccessLogBucket } from "./logBucket";
import { validateLoadBalancerArgs } from "./settings";
import { createWebAcl } from "./webAcl";

/** The ALB serves IPv4 only; a dual-stack ALB would also get an AAAA alias record. */
const IP_ADDRESS_TYPE = "ipv4";

/**
 * An internet-facing Application Load Balancer: its security group (80/443 from `allowedCidrs`),
 * an HTTP listener that only redirects to HTTPS, an HTTPS listener with a TLS 1.2+ policy, and the
 * target groups of the mode. Server pools register themselves with a target group and open the
 * ALB's egress to their own security group (see `ServerPool`).
 *
 * @example
 * const lb = new LoadBalancer("shop", {
 *     vpcId: net.vpcId,
 *     subnetIds: net.publicSubnetIds,
 *     mode: "active-active",
 *     domainName: "shop.example.com",
 *     hostedZoneId: "Z0123456789ABCDEFGHIJ",
 * });
 * export const url = lb.url;
 */
export class LoadBalancer extends pulumi.ComponentResource {
    public readonly mode: Mode;
    public readonly algorithm: Algorithm;
    public readonly securityGroup: aws.ec2.SecurityGroup;
    public readonly loadBalancer: aws.lb.LoadBalancer;
    public readonly httpListener: aws.lb.Listener;
    public readonly httpsListener: aws.lb.Listener;
    /** The group that takes the traffic: weight 100 in active-passive, the only one in active-active. */
    public readonly activeTargetGroup: aws.lb.TargetGroup;
    /** The standby group at weight 0 (active-passive only). */
    public readonly failoverTargetGroup?: aws.lb.TargetGroup;
    public readonly certificateArn: pulumi.Output<string>;
    /** How the certificate was obtained: `existing`, `domain` (DNS-validated ACM) or `self-signed`. */
    public readonly certificateMode: CertificateMode;
    /** True when the certificate is the generated self-signed one. */
    public readonly selfSignedCertificate: boolean;
    /** The requested (`domain` mode) or imported (self-signed) ACM certificate; none for an existing ARN. */
    public readonly certificate?: aws.acm.Certificate;
    /** `domain` mode: the validation the HTTPS listener waits for. */
    public readonly certificateValidation?: aws.acm.CertificateValidation;
    /** `domain` mode: the alias records of the domain to the ALB (A; AAAA too when dual-stack). */
    public readonly aliasRecords: aws.route53.Record[];
    /** `domain` mode: the domain the stack answers on. */
    public readonly domainName?: pulumi.Output<string>;
    /** The WAF web ACL in front of the ALB (`waf` on). */
    public readonly webAcl?: aws.wafv2.WebAcl;
    public readonly webAclAssociation?: aws.wafv2.WebAclAssociation;
    /** The bucket of the access logs (`accessLogs` on). */
    public readonly accessLogBucket?: aws.s3.Bucket;
    public readonly dnsName: pulumi.Output<string>;
    public readonly arnSuffix: pulumi.Output<string>;
    public readonly url: pulumi.Output<string>;

    constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ha-webstack:index:LoadBalancer", name, {}, opts);
        const settings = validateLoadBalancerArgs(name, args);
        const { mode, algorithm, sslPolicy, targetPort, healthCheckPath, allowedCidrs } = settings;
        const tags = args.tags;
        this.mode = mode;
        this.algorithm = algorithm;

        this.securityGroup = this.createSecurityGroup(name, args.vpcId, allowedCidrs, tags);
        // The ALB checks at creation (and whenever logging is turned on) that it may write to the
        // bucket: it waits for the bucket policy.
        const accessLogs = settings.accessLogs
            ? createAccessLogBucket(name, settings.accessLogs, this, tags)
            : undefined;
        this.accessLogBucket = accessLogs?.bucket;
        this.loadBalancer = new aws.lb.LoadBalancer(
            `${name}-alb`,
            {
                loadBalancerType: "application",
                internal: false,
                ipAddressType: IP_ADDRESS_TYPE,
                subnets: args.subnetIds,
                securityGroups: [this.securityGroup.id],
                // Reject requests with header names that are not valid HTTP (request smuggling).
                dropInvalidHeaderFields: true,
                desyncMitigationMode: "defensive",
                enableDeletionProtection: settings.deletionProtection,
                idleTimeout: 60,
                accessLogs: accessLogs
                    ? { bucket: accessLogs.bucket.id, enabled: true, prefix: accessLogs.prefix }
                    : undefined,
                tags: named(tags, `${name}-alb`),
            },
            { parent: this, dependsOn: accessLogs?.dependsOn },
        );
        this.dnsName = this.loadBalancer.dnsName;
        this.arnSuffix = this.loadBalancer.arnSuffix;

        const targetGroup = (role: string, prefix: string) =>
            new aws.lb.TargetGroup(
                `${name}-${role}-tg`,
                {
                    // namePrefix, never a fixed name: a named group cannot be replaced while a listener
                    // uses it (pulumi/pulumi-aws#4220).
                    namePrefix: prefix,
                    vpcId: args.vpcId,
                    port: targetPort,
                    protocol: "HTTP",
                    targetType: "instance",
                    loadBalancingAlgorithmType: algorithm,
                    loadBalancingAnomalyMitigation: algorithm === "weighted_random" ? "on" : "off",
                    deregistrationDelay: 30,
                    healthCheck: {
                        enabled: true,
                        protocol: "HTTP",
                        port: "traffic-port",
                        path: healthCheckPath,
                        matcher: "200",
                        interval: HEALTH_CHECK.intervalSeconds,
                        timeout: HEALTH_CHECK.timeoutSeconds,
                        healthyThreshold: HEALTH_CHECK.healthyThreshold,
                        unhealthyThreshold: HEALTH_CHECK.unhealthyThreshold,
                    },
                    tags: named(tags, `${name}-${role}`),
                },
                { parent: this },
            );
        if (mode === "active-passive") {
            this.activeTargetGroup = targetGroup("active", "act-");
            this.failoverTargetGroup = targetGroup("failover", "fo-");
        } else {
            this.activeTargetGroup = targetGroup("web", "web-");
        }

        const certificate = createListenerCertificate(
            name,
            settings.certificate,
            { dnsName: this.loadBalancer.dnsName, zoneId: this.loadBalancer.zoneId, ipAddressType: IP_ADDRESS_TYPE },
            this,
            tags,
        );
        this.certificateArn = certificate.arn;
        this.certificateMode = certificate.mode;
        this.selfSignedCertificate = certificate.selfSigned;
        this.certificate = certificate.certificate;
        this.certificateValidation = certificate.validation;
        this.aliasRecords = certificate.aliasRecords;
        this.domainName = certificate.domainName;

        if (settings.waf) {
            ({ webAcl: this.webAcl, association: this.webAclAssociation } = createWebAcl(
                name,
                settings.waf,
                this.loadBalancer.arn,
                this,
                tags,
            ));
        }

        this.httpListener = new aws.lb.Listener(
            `${name}-http`,
            {
                loadBalancerArn: this.loadBalancer.arn,
                port: 80,
                protocol: "HTTP",
                defaultActions: [
                    {
                        type: "redirect",
                        redirect: {
                            protocol: "HTTPS",
                            port: "443",
                            host: "#{host}",
                            path: "/#{path}",
                            query: "#{query}",
                            statusCode: "HTTP_301",
                        },
                    },
                ],
                tags: named(tags, `${name}-http`),
            },
            { parent: this },
        );

        this.httpsListener = new aws.lb.Listener(
            `${name}-https`,
            {
                loadBalancerArn: this.loadBalancer.arn,
                port: 443,
                protocol: "HTTPS",
                sslPolicy,
                // `domain` mode: the validated certificate's ARN, so the listener waits for validation.
                certificateArn: this.certificateArn,
                defaultActions: [{ type: "forward", forward: { targetGroups: this.forwardTargets() } }],
                // Security headers added by the ALB itself. HSTS only with a real certificate: with a
                // self-signed one it would lock browsers out of the page.
                routingHttpResponseServerEnabled: false,
                routingHttpResponseXContentTypeOptionsHeaderValue: "nosniff",
                routingHttpResponseStrictTransportSecurityHeaderValue: certificate.selfSigned
                    ? undefined
                    : "max-age=31536000",
                tags: named(tags, `${name}-https`),
            },
            {
                parent: this,
                // The failover controller owns the weights, and keeps its failback clock in a tag on
                // this listener: `pulumi up` after a refresh must undo neither.
                ignoreChanges: settings.holdListenerWeights ? ["defaultActions", "tags"] : undefined,
            },
        );

        this.url = this.domainName
            ? pulumi.interpolate`https://${this.domainName}`
            : pulumi.interpolate`https://${this.loadBalancer.dnsName}`;
        this.registerOutputs({
            dnsName: this.dnsName,
            url: this.url,
            securityGroupId: this.securityGroup.id,
            activeTargetGroupArn: this.activeTargetGroup.arn,
            failoverTargetGroupArn: this.failoverTargetGroup?.arn,
            httpsListenerArn: this.httpsListener.arn,
            certificateArn: this.certificateArn,
            webAclArn: this.webAcl?.arn,
            accessLogBucket: this.accessLogBucket?.bucket,
        });
    }

    /** The HTTPS listener's weighted targets: 100 / 0 in active-passive, the one group in active-active. */
    private forwardTargets(): aws.types.input.lb.ListenerDefaultActionForwardTargetGroup[] {
        const targets = [{ arn: this.activeTargetGroup.arn, weight: this.failoverTargetGroup ? 100 : 1 }];
        if (this.failoverTargetGroup) {
            targets.push({ arn: this.failoverTargetGroup.arn, weight: 0 });
        }
        return targets;
    }

    private createSecurityGroup(
        name: string,
        vpcId: pulumi.Input<string>,
        allowedCidrs: pulumi.Input<string>[],
        tags?: Tags,
    ): aws.ec2.SecurityGroup {
        // No inline rules: the provider removes AWS's default allow-all egress rule, and every rule
        // below is a resource of its own. Egress to the servers is added by each ServerPool.
        const group = new aws.ec2.SecurityGroup(
            `${name}-alb-sg`,
            {
                vpcId,
                description: "ALB: HTTP/HTTPS from the allowed CIDRs, egress only to the servers",
                tags: named(tags, `${name}-alb`),
            },
            { parent: this },
        );
        allowedCidrs.forEach((cidr, i) => {
            for (const port of [80, 443]) {
                new aws.vpc.SecurityGroupIngressRule(
                    `${name}-alb-in-${port}-${i}`,
                    {
                        securityGroupId: group.id,
                        ipProtocol: "tcp",
                        fromPort: port,
                        toPort: port,
                        cidrIpv4: cidr,
                        description: port === 80 ? "HTTP (redirected to HTTPS)" : "HTTPS",
                        tags: named(tags, `${name}-alb-in-${port}`),
                    },
                    { parent: this },
                );
            }
        });
        return group;
    }
}
