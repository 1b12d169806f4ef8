/**
 * What the security review compares: both plans, references by name, and replacements paired
 * (a guarded resource removed and another of its type added under a new name).
 */
import type { PlanResource } from "../document";

export interface SecurityFinding {
    /** The resource's logical name. */
    readonly resource: string;
    readonly type: string;
    /** The change in plain words. */
    readonly change: string;
}

export type Inputs = Record<string, any>;
export type Side = "base" | "head";

export const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

export const isArnPrefix = (ref: string, value: string) =>
    ref.startsWith("arn:") && value.length > ref.length && value.startsWith(ref) && "/:".includes(value[ref.length]);

/** Both plans, with what lets one compare them: references by name, and replacements paired. */
export class Review {
    readonly baseByUrn: ReadonlyMap<string, PlanResource>;
    readonly headByUrn: ReadonlyMap<string, PlanResource>;
    /** Head resource URN → the base resource it replaces (same type, a new name). */
    readonly replaces = new Map<string, PlanResource>();
    private readonly replaced = new Set<string>();
    /** A replacement's references → the replaced resource's (its id, ARN, name). */
    private readonly alias = new Map<string, string>();
    private readonly arnAliases: Array<[string, string]> = [];
    private readonly owners: Record<Side, Map<string, PlanResource>> = { base: new Map(), head: new Map() };
    private readonly names = new Map<string, string>();
    private readonly arnNames: Array<[string, string]> = [];

    constructor(
        readonly base: readonly PlanResource[],
        readonly head: readonly PlanResource[],
    ) {
        this.baseByUrn = new Map(base.map((r) => [r.urn, r]));
        this.headByUrn = new Map(head.map((r) => [r.urn, r]));
        for (const [side, resources] of [
            ["head", head],
            ["base", base],
        ] as const) {
            for (const r of resources) {
                for (const ref of r.refs) {
                    if (!this.owners[side].has(ref)) this.owners[side].set(ref, r);
                    if (!this.names.has(ref)) {
                        this.names.set(ref, r.name);
                        if (ref.startsWith("arn:")) this.arnNames.push([ref, r.name]);
                    }
                }
            }
        }
        pairReplacements(this);
    }

    /** Records `head` as the replacement of `base`. */
    pair(head: PlanResource, base: PlanResource): void {
        this.replaces.set(head.urn, base);
        this.replaced.add(base.urn);
        head.refs.forEach((ref, i) => {
            const to = base.refs[i];
            if (to === undefined || this.alias.has(ref)) return;
            this.alias.set(ref, to);
            if (ref.startsWith("arn:")) this.arnAliases.push([ref, to]);
        });
    }

    isReplaced(base: PlanResource): boolean {
        return this.replaced.has(base.urn);
    }

    /** The base resource a head resource is compared with: the same URN, or the one it replaces. */
    before(r: PlanResource): PlanResource | undefined {
        return this.baseByUrn.get(r.urn) ?? this.replaces.get(r.urn);
    }

    /** A reference as the base plan spells it (a replacement's id or ARN becomes the replaced one's). */
    canon(v: unknown, side: Side): string {
        const s = typeof v === "string" ? v : JSON.stringify(v ?? null);
        if (side === "base") return s;
        const exact = this.alias.get(s);
        if (exact !== undefined) return exact;
        const prefix = this.arnAliases.find(([from]) => isArnPrefix(from, s));
        return prefix ? prefix[1] + s.slice(prefix[0].length) : s;
    }

    /** The resource a reference points at, in one plan. */
    owner(v: unknown, side: Side): PlanResource | undefined {
        return typeof v === "string" ? this.owners[side].get(v) : undefined;
    }

    /** A reference as the name of the resource it points at (`bucket-x/*` for an object ARN). */
    name(v: unknown): string {
        if (typeof v !== "string") return JSON.stringify(v);
        const exact = this.names.get(v);
        if (exact !== undefined) return exact;
        const prefix = this.arnNames.find(([ref]) => isArnPrefix(ref, v));
        return prefix ? prefix[1] + v.slice(prefix[0].length) : v;
    }

    /** " (replaces X)" for a replacement, "" otherwise. */
    replacing(r: PlanResource): string {
        const old = this.replaces.get(r.urn);
        return old ? ` (replaces ${old.name})` : "";
    }
}

/** The input that ties a resource to the one it belongs to: a replacement must keep it. */
const TARGET: Record<string, string> = {
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "securityGroupId",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "securityGroupId",
    "aws:ec2/flowLog:FlowLog": "vpcId",
    "aws:ec2/routeTable:RouteTable": "vpcId",
    "aws:ec2/subnet:Subnet": "vpcId",
    "aws:ec2/securityGroup:SecurityGroup": "vpcId",
    "aws:iam/rolePolicy:RolePolicy": "role",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "role",
    "aws:s3/bucketPolicy:BucketPolicy": "bucket",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "bucket",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "bucket",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "bucket",
    "aws:sns/topicPolicy:TopicPolicy": "arn",
    "aws:lambda/permission:Permission": "function",
    "aws:wafv2/webAclAssociation:WebAclAssociation": "resourceArn",
};

/** The types this review reads by resource (firewall rules are compared by content instead). */
const PAIRED = new Set([
    ...Object.keys(TARGET).filter((t) => !t.startsWith("aws:vpc/")),
    "aws:ec2/vpc:Vpc",
    "aws:rds/instance:Instance",
    "aws:rds/parameterGroup:ParameterGroup",
    "aws:lb/loadBalancer:LoadBalancer",
    "aws:lb/listener:Listener",
    "aws:alb/listener:Listener",
    "aws:ec2/launchTemplate:LaunchTemplate",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    "aws:iam/role:Role",
    "aws:iam/policy:Policy",
    "aws:s3/bucket:Bucket",
    "aws:sns/topic:Topic",
    "aws:wafv2/webAcl:WebAcl",
]);

const tokens = (name: string) => new Set(name.toLowerCase().split(/[^a-z0-9]+|(?<=[a-z])(?=[0-9])/));

/** How alike two resources of one type are: their names' words and their inputs (0..2). */
function likeness(a: PlanResource, b: PlanResource): number {
    const [x, y] = [tokens(a.name), tokens(b.name)];
    const shared = [...x].filter((t) => y.has(t)).length;
    const keys = [...new Set([...Object.keys(a.inputs), ...Object.keys(b.inputs)])].filter((k) => k !== "tags");
    const same = keys.filter((k) => JSON.stringify(a.inputs[k]) === JSON.stringify(b.inputs[k])).length;
    return shared / (x.size + y.size - shared) + (keys.length === 0 ? 0 : same / keys.length);
}

/** Whether two resources can play the same role: a primary is not a replica, a rule stays on its group. */
function sameRole(review: Review, added: PlanResource, removed: PlanResource): boolean {
    if (added.type === "aws:rds/instance:Instance") {
        return Boolean(added.inputs.replicateSourceDb) === Boolean(removed.inputs.replicateSourceDb);
    }
    const target = TARGET[added.type];
    return target === undefined || review.canon(added.inputs[target], "head") === String(removed.inputs[target]);
}

/**
 * Pairs each removed guarded resource with the most alike added one of its type, greedily; the
 * resources others belong to first (a bucket before its policy), so a renamed bucket's policy
 * pairs with the old bucket's.
 */
function pairReplacements(review: Review): void {
    const removed = review.base.filter((r) => r.custom && PAIRED.has(r.type) && !review.headByUrn.has(r.urn));
    const added = review.head.filter((r) => r.custom && PAIRED.has(r.type) && !review.baseByUrn.has(r.urn));
    for (const round of [false, true]) {
        const candidates: Array<[number, PlanResource, PlanResource]> = [];
        for (const a of added.filter((r) => (TARGET[r.type] !== undefined) === round)) {
            for (const b of removed.filter((r) => r.type === a.type)) {
                if (sameRole(review, a, b)) candidates.push([likeness(a, b), a, b]);
            }
        }
        candidates.sort((p, q) => q[0] - p[0] || p[1].name.localeCompare(q[1].name));
        const used = new Set<string>();
        for (const [score, a, b] of candidates) {
            if (score <= 0 || used.has(a.urn) || used.has(b.urn)) continue;
            used.add(a.urn).add(b.urn);
            review.pair(a, b);
        }
    }
}

export function valueAt(inputs: Inputs, path: string): unknown {
    return path
        .split(".")
        .reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Inputs)[k] : undefined), inputs);
}

export function show(v: unknown): string {
    return v === undefined ? "unset" : JSON.stringify(v);
}
