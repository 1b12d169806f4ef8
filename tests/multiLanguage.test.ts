/**
 * ha-webstack from Python, Go, C# and YAML: the schema that `pulumi package add` gets from this
 * repository (PulumiPlugin.yaml, runtime nodejs). The Pulumi CLI cannot run here, so this runs what
 * its Node.js plugin host runs: `@pulumi/pulumi/provider/experimental`'s ComponentProvider over the
 * components the package's `main` exports, with the repository as the plugin directory (the
 * analyzer reads its tsconfig.json and follows the imports from index.ts). One analysis for the
 * whole file: it builds a TypeScript program over @pulumi/aws's typings, the expensive part.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ComponentProvider, getPulumiComponents } from "@pulumi/pulumi/provider/experimental";
import { parse as parseYaml } from "yaml";
import * as library from "../components";
import { evaluate, REPO_ROOT, RegisteredResource, resolve } from "../scripts/offline";
import { PUBLIC_COMPONENTS } from "./support/components";

interface Property {
    type?: string;
    $ref?: string;
    items?: Property;
    additionalProperties?: Property;
    plain?: boolean;
    description?: string;
}
interface ObjectType {
    type: string;
    description?: string;
    properties?: Record<string, Property>;
    required?: string[];
    enum?: { name: string; value: string | number; description?: string }[];
}
interface ResourceSpec extends ObjectType {
    isComponent: boolean;
    inputProperties: Record<string, Property>;
    requiredInputs?: string[];
}
interface Schema {
    name: string;
    version: string;
    resources: Record<string, ResourceSpec>;
    types: Record<string, ObjectType>;
    dependencies?: { name: string; version: string }[];
}

const COMPONENTS = PUBLIC_COMPONENTS;
const token = (name: string) => `ha-webstack:index:${name}`;
const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));

let provider: ComponentProvider;
let schema: Schema;
beforeAll(async () => {
    // As the plugin host does (cmd/run-plugin): the package's exports, its name, its directory.
    provider = new ComponentProvider({
        components: getPulumiComponents(library),
        name: "ha-webstack",
        dirname: REPO_ROOT,
    });
    schema = JSON.parse(await provider.getSchema());
}, 180_000);

const resource = (name: string) => schema.resources[token(name)];
const typeOf = (ref: string | undefined) => schema.types[(ref ?? "").replace(/^#\/types\//, "")];
const enumValues = (ref: string | undefined) => typeOf(ref)?.enum?.map((e) => e.value);

describe("the multi-language schema", () => {
    it("should offer exactly the public components, each under its ha-webstack:index token", () => {
        // The order of a module's exports is the transpiler's (swc sorts them); the set is the contract.
        expect(
            getPulumiComponents(library)
                .map((c) => c.name)
                .sort(),
        ).toEqual([...COMPONENTS].sort());
        expect(schema.name).toBe("ha-webstack");
        expect(schema.version).toBe(pkg.version);
        expect(Object.keys(schema.resources).sort()).toEqual(COMPONENTS.map(token).sort());
        for (const name of COMPONENTS) {
            expect(resource(name).isComponent).toBe(true);
            // From each class's TSDoc.
            expect(resource(name).description).toMatch(/\w{4,}/);
        }
        // Children typed as @pulumi/aws resources refer to the AWS provider's schema, at the installed version.
        const aws = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "node_modules/@pulumi/aws/package.json"), "utf8"));
        expect(schema.dependencies).toEqual([{ name: "aws", version: aws.pulumi?.version ?? aws.version }]);
    });

    it.each([
        ["WebStack", "mode", "Mode", ["active-passive", "active-active"]],
        ["WebStack", "algorithm", "Algorithm", ["round_robin", "least_outstanding_requests", "weighted_random"]],
        ["WebStack", "natGateways", "NatGatewayMode", ["none", "single", "perAz"]],
        ["WebStack", "failback", "FailbackPolicy", ["automatic", "manual"]],
        ["LoadBalancer", "mode", "Mode", ["active-passive", "active-active"]],
        ["Network", "natGateways", "NatGatewayMode", ["none", "single", "perAz"]],
        ["FailoverController", "failback", "FailbackPolicy", ["automatic", "manual"]],
    ] as const)("should make %s.%s the enum %s of the strings TypeScript takes", (component, input, name, values) => {
        const property = resource(component).inputProperties[input];
        expect(property.$ref).toBe(`#/types/ha-webstack:index:${name}`);
        expect(enumValues(property.$ref)).toEqual(values);
        expect(typeOf(property.$ref).type).toBe("string");
    });

    it("should name the enum members for other languages and carry their TSDoc", () => {
        expect(typeOf("#/types/ha-webstack:index:Mode").enum).toEqual([
            { name: "ActivePassive", value: "active-passive", description: expect.stringMatching(/100 \/ 0/) },
            { name: "ActiveActive", value: "active-active", description: expect.stringMatching(/one target group/i) },
        ]);
        const role = resource("Monitoring").inputProperties.targetGroups.items?.$ref;
        expect(enumValues(typeOf(role).properties?.role.$ref)).toEqual(["active", "failover", "web"]);
    });

    it.each([
        ["WebStack", []],
        ["Network", []],
        ["LoadBalancer", ["subnetIds", "vpcId"]],
        ["ServerPool", ["loadBalancerSecurityGroupId", "subnetIds", "targetGroupArn", "vpcId"]],
        ["Database", ["availabilityZones", "subnetIds", "vpcId"]],
        ["FailoverController", ["activeTargetGroupArn", "failoverTargetGroupArn", "listenerArn"]],
        ["Monitoring", ["loadBalancer", "targetGroups"]],
    ])("should require of %s exactly the args TypeScript requires: %j", (component, required) => {
        expect([...(resource(component).requiredInputs ?? [])].sort()).toEqual(required);
    });

    it("should type the inputs as the args interfaces do, with their TSDoc", () => {
        const web = resource("WebStack").inputProperties;
        expect(web.azCount).toMatchObject({ type: "number", plain: true });
        expect(web.azCount.description).toMatch(/2 to 6/);
        expect(web.instanceType).toEqual(expect.objectContaining({ type: "string" }));
        // pulumi.Input<string>: not plain, so another language may pass an output.
        expect(web.instanceType.plain).toBeUndefined();
        expect(web.allowedCidrs).toMatchObject({ type: "array", items: { type: "string" } });
        expect(web.tags).toMatchObject({ type: "object", additionalProperties: { type: "string" } });
        // 0 turns a scaling policy off: a number, not the `number | false` no schema can hold.
        expect(web.scaleOnRequestsPerTarget).toMatchObject({ type: "number" });
        expect(web.scaleOnRequestsPerTarget.description).toMatch(/0 for none/);
        // Boolean-or-options arguments became options objects with `enabled`.
        for (const [component, input, name] of [
            ["Network", "flowLogs", "FlowLogOptions"],
            ["LoadBalancer", "waf", "WafOptions"],
            ["LoadBalancer", "accessLogs", "AccessLogOptions"],
        ]) {
            const ref = resource(component).inputProperties[input].$ref;
            expect(ref).toBe(`#/types/ha-webstack:index:${name}`);
            expect(typeOf(ref).properties?.enabled).toMatchObject({ type: "boolean" });
        }
        const scaling = typeOf(resource("ServerPool").inputProperties.scaling.$ref).properties;
        expect(scaling?.requestsPerTarget).toMatchObject({ type: "number" });
        expect(scaling?.cpuPercent).toMatchObject({ type: "number" });
        expect(scaling?.loadBalancerArn).toMatchObject({ type: "string" });
        // Aliases as URNs: the schema has no URN-or-Alias union.
        expect(resource("Monitoring").inputProperties.topicAliases).toMatchObject({
            type: "array",
            items: { type: "string" },
        });
        // Partial<Thresholds>: every threshold optional.
        const thresholds = typeOf(resource("Monitoring").inputProperties.thresholds.$ref);
        expect(Object.keys(thresholds.properties ?? {})).toContain("replicaLagSeconds");
        expect(thresholds.required ?? []).toEqual([]);
    });

    it("should carry every description as text (the analyzer turns a TSDoc {@link} into [object Object])", () => {
        const garbled: string[] = [];
        const walk = (value: unknown, at: string) => {
            if (value === null || typeof value !== "object") return;
            for (const [key, child] of Object.entries(value)) {
                if (key === "description" && String(child).includes("[object Object]")) garbled.push(at);
                else walk(child, `${at}.${key}`);
            }
        };
        walk(schema, "schema");
        expect(garbled).toEqual([]);
    });

    it("should list as outputs the public fields only: no private state, no ha-webstack components", () => {
        expect(Object.keys(resource("WebStack").properties ?? {}).sort()).toEqual(
            [
                "albDnsName",
                "alertTopicArn",
                "dashboardUrl",
                "dbReaderEndpoints",
                "dbSecretArn",
                "dbWriterEndpoint",
                "mode",
                "url",
                "vpcId",
            ].sort(),
        );
        expect(resource("WebStack").properties?.dbReaderEndpoints).toMatchObject({
            type: "array",
            items: { type: "string" },
        });
        const database = Object.keys(resource("Database").properties ?? {});
        expect(database).toEqual(expect.arrayContaining(["writerEndpoint", "readerEndpoints", "secretArn", "primary"]));
        expect(database).not.toContain("resourceName");
        expect(database).not.toContain("tags");
        for (const name of COMPONENTS) {
            // Private `#fields` would show up as `__#1@#name`.
            expect(Object.keys(resource(name).properties ?? {}).filter((k) => !/^[a-z][A-Za-z0-9]*$/.test(k))).toEqual(
                [],
            );
        }
        expect(resource("Network").properties?.vpc.$ref).toMatch(
            /\/aws\/v[\d.]+\/schema\.json#\/resources\/aws:ec2%2Fvpc:Vpc$/,
        );
        expect(resource("LoadBalancer").properties?.certificateMode.$ref).toBe(
            "#/types/ha-webstack:index:CertificateMode",
        );
    });
});

describe("construct(), as another language's program calls it", () => {
    // What the engine hands the provider: plain JSON-like values (enums as their strings).
    const INPUTS: Record<(typeof COMPONENTS)[number], Record<string, unknown>> = {
        WebStack: {
            mode: "active-passive",
            azCount: 3,
            natGateways: "perAz",
            replicaCount: 2,
            alertEmail: "o@example.com",
        },
        Network: { azCount: 3, natGateways: "perAz", flowLogs: { retentionDays: 14 } },
        LoadBalancer: {
            vpcId: "vpc-1",
            subnetIds: ["subnet-a", "subnet-b"],
            mode: "active-passive",
            waf: { rateLimitPerFiveMinutes: 500 },
            accessLogs: { enabled: false },
        },
        ServerPool: {
            vpcId: "vpc-1",
            subnetIds: ["subnet-a"],
            targetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/0123456789abcdef",
            loadBalancerSecurityGroupId: "sg-alb",
            scaling: { cpuPercent: 0 },
        },
        Database: {
            vpcId: "vpc-1",
            subnetIds: ["subnet-a", "subnet-b"],
            availabilityZones: ["us-east-1a", "us-east-1b"],
        },
        FailoverController: {
            listenerArn:
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/lb/0123456789abcdef/0123456789abcdef",
            activeTargetGroupArn:
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/act/0123456789abcdef",
            failoverTargetGroupArn:
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/fo/0123456789abcdef",
            failback: "manual",
        },
        Monitoring: {
            loadBalancer: { arnSuffix: "app/lb/0123456789abcdef" },
            targetGroups: [{ role: "web", arnSuffix: "targetgroup/tg/0123456789abcdef" }],
            autoScalingGroups: [{ role: "web", name: "asg-web" }],
            topicAliases: ["urn:pulumi:test::ha-webstack::aws:sns/topic:Topic::old-topic"],
        },
    };
    const shape = (resources: RegisteredResource[]) =>
        resources.map((r) => ({
            type: r.type,
            name: r.name,
            parentUrn: r.parentUrn,
            inputs: JSON.parse(JSON.stringify(r.inputs)),
            assets: r.assets,
            aliases: r.options.aliases,
        }));

    it.each(COMPONENTS.map((c) => [c]))(
        "should register for %s the same resources as the TypeScript constructor",
        async (name) => {
            const Component = library[name] as unknown as new (n: string, args: unknown) => object;
            const direct = await evaluate(() => new Component("c", INPUTS[name]), { stack: "test" });
            let state: Record<string, unknown> = {};
            const constructed = await evaluate(
                async () => {
                    const result = await provider.construct("c", token(name), INPUTS[name] as never, {});
                    state = result.state as Record<string, unknown>;
                },
                { stack: "test" },
            );
            expect(constructed.resources.length).toBeGreaterThan(3);
            expect(constructed.resources.filter((r) => r.type === token(name)).map((r) => r.name)).toEqual(["c"]);
            expect(shape(constructed.resources)).toEqual(shape(direct.resources));
            // The state the provider returns is read off the instance: every output the schema
            // calls required must be set.
            const required = resource(name).required ?? [];
            expect(required.filter((k) => state[k] === undefined)).toEqual([]);
        },
    );

    it("should hand back WebStack's outputs as values another language can read", async () => {
        let state: Record<string, any> = {};
        await evaluate(
            async () => {
                state = (await provider.construct("shop", token("WebStack"), INPUTS.WebStack as never, {})).state;
            },
            { stack: "test" },
        );
        const values = (await resolve(state)) as Record<string, unknown>;
        expect(values.mode).toBe("active-passive");
        expect(values.url).toMatch(/^https:\/\//);
        expect(values.dbReaderEndpoints).toHaveLength(2);
        expect(values.vpcId).toBe("shop-vpc");
    });

    it("should refuse a type outside the package, naming it", async () => {
        await expect(provider.construct("x", "other:index:WebStack", {} as never, {})).rejects.toThrow(
            /Invalid package name other, expected 'ha-webstack'/,
        );
        await expect(provider.construct("x", token("Nope"), {} as never, {})).rejects.toThrow(/'Nope'/);
    });
});

describe("the Python and YAML examples", () => {
    const inputs = () => resource("WebStack").inputProperties;
    const outputs = () => resource("WebStack").properties ?? {};

    it("should ship a PulumiPlugin.yaml that runs the package as a Node.js plugin", () => {
        const plugin = parseYaml(fs.readFileSync(path.join(REPO_ROOT, "PulumiPlugin.yaml"), "utf8"));
        expect(plugin.runtime.name).toBe("nodejs");
        // No ts-node: without a build, a missing `main` must fail, not fall back to index.ts (the stack program).
        expect(plugin.runtime.options.typescript).toBe(false);
        // The plugin host requires the package directory: `main` must be the built library.
        expect(pkg.main).toBe("dist/components/index.js");
    });

    it("should use in YAML only the schema's type token, inputs, enum values and outputs", () => {
        const program = parseYaml(fs.readFileSync(path.join(REPO_ROOT, "examples/yaml/Pulumi.yaml"), "utf8"));
        expect(program.runtime).toBe("yaml");
        // The package is this repository (what `pulumi package add ../..` records).
        expect(path.resolve(REPO_ROOT, "examples/yaml", program.packages["ha-webstack"])).toBe(REPO_ROOT);
        const stacks = Object.values(program.resources as Record<string, { type: string; properties: any }>);
        expect(stacks.map((r) => r.type)).toEqual([token("WebStack")]);
        const props = stacks[0].properties;
        expect(Object.keys(props).filter((k) => !(k in inputs()))).toEqual([]);
        for (const [key, value] of Object.entries(props)) {
            const allowed = enumValues(inputs()[key].$ref);
            if (allowed) expect(allowed).toContain(value);
            if (inputs()[key].type === "number") expect(typeof value).toBe("number");
        }
        const used = JSON.stringify(program.outputs).match(/\$\{shop\.(\w+)\}/g) ?? [];
        expect(used.length).toBeGreaterThan(2);
        expect(used.map((u) => u.slice(7, -1)).filter((k) => !(k in outputs()))).toEqual([]);
    });

    it("should compile the Python example and use only the schema's names, in snake case", () => {
        const file = path.join(REPO_ROOT, "examples/python/__main__.py");
        // Compiles without writing __pycache__, then lists the WebStack call's keywords, the
        // attributes read off its result and the enum members used.
        const script = `
import ast, json, sys
src = open(sys.argv[1]).read()
compile(src, sys.argv[1], "exec")
tree = ast.parse(src)
kw, attrs, enums = [], [], []
for node in ast.walk(tree):
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "WebStack":
        kw += [k.arg for k in node.keywords]
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "web":
        attrs.append(node.attr)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) and isinstance(node.value.value, ast.Name) and node.value.value.id == "ha_webstack":
        enums.append([node.value.attr, node.attr])
print(json.dumps({"keywords": kw, "attributes": attrs, "enums": enums}))
`;
        const run = spawnSync("python3", ["-c", script, file], { encoding: "utf8" });
        expect(run.stderr).toBe("");
        expect(run.status).toBe(0);
        const found = JSON.parse(run.stdout) as { keywords: string[]; attributes: string[]; enums: string[][] };
        const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
        const upperSnake = (s: string) => snake(s[0].toLowerCase() + s.slice(1)).toUpperCase();
        const inputNames = Object.keys(inputs()).map(snake);
        expect(found.keywords.length).toBeGreaterThan(5);
        expect(found.keywords.filter((k) => !inputNames.includes(k))).toEqual([]);
        expect(found.attributes.filter((a) => !Object.keys(outputs()).map(snake).includes(a))).toEqual([]);
        expect(found.enums.length).toBeGreaterThan(1);
        for (const [enumName, member] of found.enums) {
            const members = schema.types[token(enumName)]?.enum?.map((e) => upperSnake(e.name));
            expect({ enumName, member, known: members?.includes(member) }).toEqual({ enumName, member, known: true });
        }
        expect(fs.existsSync(path.join(REPO_ROOT, "examples/python/__pycache__"))).toBe(false);
        const requirements = fs.readFileSync(path.join(REPO_ROOT, "examples/python/requirements.txt"), "utf8");
        expect(requirements).toMatch(/^sdks\/ha-webstack$/m);
    });
});
