import { LoadBalancer, LoadBalancerArgs } from "../components/loadBalancer";
import { evaluate } from "../scripts/offline";
import { expectRejectedBeforeCreate, T, ofType, only, resolveRef } from "./helpers";

const base: LoadBalancerArgs = { vpcId: "vpc-1", subnetIds: ["subnet-a", "subnet-b"] };
const build = (args: Partial<LoadBalancerArgs> = {}, name = "web") =>
    evaluate(() => new LoadBalancer(name, { ...base, ...args }), { stack: "test" });
const CERT = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-4333-8444-555555555555";

describe("LoadBalancer", () => {
    it("should build an internet-facing ALB over the given subnets that drops invalid headers", async () => {
        const ev = await build();
        expect(only(ev, T.alb).inputs).toMatchObject({
            loadBalancerType: "application",
            internal: false,
            subnets: ["subnet-a", "subnet-b"],
            securityGroups: ["web-alb-sg"],
            dropInvalidHeaderFields: true,
            enableDeletionProtection: false,
        });
    });

    it("should only redirect HTTP to HTTPS with a 301", async () => {
        const ev = await build();
        const http = only(ev, T.listener, "-http");
        expect(http.inputs.protocol).toBe("HTTP");
        expect(http.inputs.port).toBe(80);
        expect(http.inputs.defaultActions).toEqual([
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
        ]);
    });

    it("should weight the active target group 100 and the failover group 0 in one forward action (active-passive)", async () => {
        const ev = await build();
        const https = only(ev, T.listener, "-https");
        expect(https.inputs).toMatchObject({
            protocol: "HTTPS",
            port: 443,
            sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
        });
        expect(https.inputs.defaultActions).toHaveLength(1);
        const targets = https.inputs.defaultActions[0].forward.targetGroups;
        expect(targets.map((t: any) => [resolveRef(ev, t.arn)?.name, t.weight])).toEqual([
            ["web-active-tg", 100],
            ["web-failover-tg", 0],
        ]);
    });

    it("should build one target group with weight 1 in active-active mode", async () => {
        const ev = await build({ mode: "active-active" });
        expect(ofType(ev, T.targetGroup).map((t) => t.name)).toEqual(["web-web-tg"]);
        const targets = only(ev, T.listener, "-https").inputs.defaultActions[0].forward.targetGroups;
        expect(targets).toHaveLength(1);
        expect(resolveRef(ev, targets[0].arn)?.name).toBe("web-web-tg");
    });

    it("should hold the listener's weights against pulumi up in active-passive mode only", async () => {
        const held = only(await build(), T.listener, "-https");
        expect(held.options.ignoreChanges).toEqual(["defaultActions", "tags"]);
        const activeActive = only(await build({ mode: "active-active" }), T.listener, "-https");
        expect(activeActive.options.ignoreChanges).toEqual([]);
        const released = only(await build({ holdListenerWeights: false }), T.listener, "-https");
        expect(released.options.ignoreChanges).toEqual([]);
        // The HTTP listener only redirects: nothing moves its actions.
        expect(only(await build(), T.listener, "-http").options.ignoreChanges).toEqual([]);
    });

    it.each(["round_robin", "least_outstanding_requests", "weighted_random"] as const)(
        "should give every target group the %s algorithm, a name prefix and fast /healthz checks",
        async (algorithm) => {
            const ev = await build({ algorithm });
            const groups = ofType(ev, T.targetGroup);
            expect(groups).toHaveLength(2);
            for (const group of groups) {
                expect(group.inputs.name).toBeUndefined();
                expect(group.inputs.namePrefix.length).toBeLessThanOrEqual(6);
                expect(group.inputs).toMatchObject({
                    port: 80,
                    protocol: "HTTP",
                    vpcId: "vpc-1",
                    loadBalancingAlgorithmType: algorithm,
                    loadBalancingAnomalyMitigation: algorithm === "weighted_random" ? "on" : "off",
                    healthCheck: {
                        path: "/healthz",
                        interval: 5,
                        unhealthyThreshold: 2,
                        healthyThreshold: 2,
                        matcher: "200",
                    },
                });
                expect(group.inputs.healthCheck.timeout).toBeLessThan(group.inputs.healthCheck.interval);
            }
        },
    );

    it("should admit 80 and 443 from each allowed CIDR and nothing else", async () => {
        const ev = await build({ allowedCidrs: ["203.0.113.0/24", "198.51.100.0/24"] });
        const rules = ofType(ev, T.ingress).map((r) => [
            r.inputs.securityGroupId,
            r.inputs.cidrIpv4,
            r.inputs.ipProtocol,
            r.inputs.fromPort,
            r.inputs.toPort,
        ]);
        expect(rules.sort()).toEqual(
            [
                ["web-alb-sg", "198.51.100.0/24", "tcp", 443, 443],
                ["web-alb-sg", "198.51.100.0/24", "tcp", 80, 80],
                ["web-alb-sg", "203.0.113.0/24", "tcp", 443, 443],
                ["web-alb-sg", "203.0.113.0/24", "tcp", 80, 80],
            ].sort(),
        );
        // No inline rules: AWS's default allow-all egress is removed and nothing replaces it here.
        const group = only(ev, T.sg);
        expect(group.inputs.ingress).toBeUndefined();
        expect(group.inputs.egress).toBeUndefined();
        expect(ofType(ev, T.egress)).toEqual([]);
    });

    it("should default to the world on 80/443 only", async () => {
        const ev = await build();
        expect(
            ofType(ev, T.ingress)
                .map((r) => `${r.inputs.cidrIpv4}:${r.inputs.fromPort}`)
                .sort(),
        ).toEqual(["0.0.0.0/0:443", "0.0.0.0/0:80"]);
    });

    it("should generate a self-signed certificate, import it into ACM and keep the key secret", async () => {
        const ev = await build();
        const imported = only(ev, T.certificate);
        expect(imported.inputs.certificateBody).toContain("BEGIN CERTIFICATE");
        expect(imported.secretPaths).toContain("privateKey");
        const cert = only(ev, "tls:index/selfSignedCert:SelfSignedCert");
        expect(cert.inputs.dnsNames).toEqual([only(ev, T.alb).state.dnsName]);
        expect(cert.inputs.allowedUses).toContain("server_auth");
        const https = only(ev, T.listener, "-https");
        expect(https.inputs.certificateArn).toBe(imported.state.arn);
        // No HSTS with a certificate browsers do not trust.
        expect(https.inputs.routingHttpResponseStrictTransportSecurityHeaderValue).toBeUndefined();
    });

    it("should use a given ACM certificate and send HSTS", async () => {
        const ev = await build({ certificateArn: CERT });
        expect(ofType(ev, T.certificate)).toEqual([]);
        expect(ofType(ev, "tls:index/privateKey:PrivateKey")).toEqual([]);
        const https = only(ev, T.listener, "-https");
        expect(https.inputs.certificateArn).toBe(CERT);
        expect(https.inputs.routingHttpResponseStrictTransportSecurityHeaderValue).toBe("max-age=31536000");
        expect(https.inputs.routingHttpResponseServerEnabled).toBe(false);
    });

    it("should serve a domain on a DNS-validated certificate, with HSTS, when given a domain and its zone", async () => {
        const ev = await build({ domainName: "shop.example.com", hostedZoneId: "Z0123456789ABCDEFGHIJ" });
        const cert = only(ev, T.certificate);
        expect(cert.inputs).toMatchObject({ domainName: "shop.example.com", validationMethod: "DNS" });
        const https = only(ev, T.listener, "-https");
        expect(https.inputs.certificateArn).toBe(cert.state.arn);
        expect(https.inputs.routingHttpResponseStrictTransportSecurityHeaderValue).toBe("max-age=31536000");
        expect(
            ofType(ev, "aws:route53/record:Record")
                .map((r) => r.inputs.type)
                .sort(),
        ).toEqual(["A", "CNAME"]);
    });

    it("should keep access logs in a bucket of its own by default, and add a WAF only when asked", async () => {
        const ev = await build();
        const bucket = only(ev, "aws:s3/bucket:Bucket");
        expect(only(ev, T.alb).inputs.accessLogs).toEqual({ bucket: bucket.id, enabled: true, prefix: "alb" });
        expect(ofType(ev, "aws:wafv2/webAcl:WebAcl")).toEqual([]);
        const withWaf = await build({ waf: {}, accessLogs: { enabled: false } });
        expect(ofType(withWaf, "aws:wafv2/webAcl:WebAcl")).toHaveLength(1);
        expect(ofType(withWaf, "aws:s3/bucket:Bucket")).toEqual([]);
    });

    it.each([
        [
            { mode: "active-pasive" },
            "LoadBalancer args.mode=active-pasive is not valid: expected one of active-passive, active-active",
        ],
        [
            { algorithm: "random" },
            "LoadBalancer args.algorithm=random is not valid: expected one of round_robin, least_outstanding_requests, weighted_random",
        ],
        [
            { sslPolicy: "ELBSecurityPolicy-2016-08" },
            "LoadBalancer args.sslPolicy=ELBSecurityPolicy-2016-08 is not valid: expected one of ELBSecurityPolicy-TLS13-1-2-2021-06",
        ],
        [{ allowedCidrs: ["10.0.0.0/33"] }, "LoadBalancer args.allowedCidrs[0]=10.0.0.0/33 is not valid"],
        [
            { allowedCidrs: [] },
            "LoadBalancer args.allowedCidrs=[] is not valid: expected a list of 1 to 20 IPv4 CIDR blocks",
        ],
        [
            { allowedCidrs: ["0.0.0.0/0", "0.0.0.0/0"] },
            'LoadBalancer args.allowedCidrs=["0.0.0.0/0","0.0.0.0/0"] is not valid: expected distinct CIDR blocks',
        ],
        [
            { subnetIds: ["subnet-a"] },
            "LoadBalancer args.subnetIds=1 subnet(s) is not valid: expected public subnets in at least two AZs",
        ],
        [{ certificateArn: "not-an-arn" }, "LoadBalancer args.certificateArn=not-an-arn is not valid"],
        [{ targetPort: 70000 }, "LoadBalancer args.targetPort=70000 is not valid: expected an integer from 1 to 65535"],
        [
            { healthCheckPath: "healthz" },
            "LoadBalancer args.healthCheckPath=healthz is not valid: expected a path starting with /",
        ],
        [
            { domainName: "shop.example.com" },
            "LoadBalancer args.domainName is set but LoadBalancer args.hostedZoneId is not",
        ],
        [
            { certificateArn: CERT, domainName: "shop.example.com", hostedZoneId: "Z0123456789ABCDEFGHIJ" },
            "set only one of them",
        ],
        [
            { waf: { rateLimitPerFiveMinutes: 10 } },
            "LoadBalancer args.waf.rateLimitPerFiveMinutes=10 is not valid: expected an integer from 100 to 2000000000",
        ],
        [
            { accessLogs: { retentionDays: 0 } },
            "LoadBalancer args.accessLogs.retentionDays=0 is not valid: expected an integer from 1 to 3650",
        ],
    ])("should reject %j before creating anything", async (args, message) => {
        await expectRejectedBeforeCreate(build(args as any), message);
    });

    it("should reject a name that would make the ALB's name longer than AWS allows", async () => {
        await expectRejectedBeforeCreate(
            build({}, "a-very-long-stack-name-x"),
            /LoadBalancer name=a-very-long-stack-name-x is not valid: expected at most 20/,
        );
    });
});
