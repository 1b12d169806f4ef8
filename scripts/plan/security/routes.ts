/** Routes: an internet gateway route on a private route table, a private subnet moved to a public table. */
import { list, Review, type Inputs, type SecurityFinding, type Side } from "./review";

interface Routes {
    /** Route table (as the base plan names it) → its routes to an internet gateway. */
    readonly internet: Map<string, string[]>;
    /** Subnet (as the base plan names it) → its route table. */
    readonly association: Map<string, string>;
}

const destination = (x: Inputs) =>
    String(
        x.cidrBlock ??
            x.destinationCidrBlock ??
            x.ipv6CidrBlock ??
            x.destinationIpv6CidrBlock ??
            x.destinationPrefixListId ??
            "?",
    );

/** A gateway id of an internet gateway: one the plan defines, or an `igw-` id. */
function isInternetGateway(review: Review, side: Side, v: unknown): boolean {
    return (
        typeof v === "string" &&
        (review.owner(v, side)?.type === "aws:ec2/internetGateway:InternetGateway" || /^igw-/.test(v))
    );
}

function routesOf(review: Review, side: Side): Routes {
    const internet = new Map<string, string[]>();
    const association = new Map<string, string>();
    const add = (table: string, route: Inputs) => {
        const list = internet.get(table) ?? [];
        internet.set(table, list);
        if (isInternetGateway(review, side, route.gatewayId))
            list.push(`${destination(route)} → internet gateway ${review.name(route.gatewayId)}`);
    };
    for (const r of side === "base" ? review.base : review.head) {
        const i = r.inputs as Inputs;
        if (r.type === "aws:ec2/routeTable:RouteTable") {
            const table = review.canon(r.refs[0] ?? r.name, side);
            add(table, {});
            (list(i.routes) as Inputs[]).forEach((route) => add(table, route));
        } else if (r.type === "aws:ec2/route:Route") {
            add(review.canon(i.routeTableId, side), i);
        } else if (r.type === "aws:ec2/routeTableAssociation:RouteTableAssociation" && i.subnetId) {
            association.set(review.canon(i.subnetId, side), review.canon(i.routeTableId, side));
        }
    }
    return { internet, association };
}

/**
 * A route to an internet gateway added to a route table that had none (its subnets become
 * public), and a subnet moved from such a table to one with an internet route.
 */
export function routeFindings(review: Review): SecurityFinding[] {
    const [was, now] = [routesOf(review, "base"), routesOf(review, "head")];
    const findings: SecurityFinding[] = [];
    for (const r of review.head) {
        const i = r.inputs as Inputs;
        if (r.type === "aws:ec2/routeTable:RouteTable" || r.type === "aws:ec2/route:Route") {
            const isRoute = r.type === "aws:ec2/route:Route";
            const table = review.canon(isRoute ? i.routeTableId : (r.refs[0] ?? r.name), "head");
            const before = was.internet.get(table);
            // Only a table that exists in both plans and had no internet route is "private" here.
            if (before === undefined || before.length > 0) continue;
            // This resource's own internet routes: a table's inline ones, or the route itself.
            const added = (isRoute ? [i] : (list(i.routes) as Inputs[]))
                .filter((route) => isInternetGateway(review, "head", route.gatewayId))
                .map((route) => `${destination(route)} → internet gateway ${review.name(route.gatewayId)}`);
            if (added.length === 0) continue;
            const tableName = isRoute ? review.name(i.routeTableId) : r.name;
            findings.push({
                resource: r.name,
                type: r.type,
                change: `internet route added to private route table ${tableName}: ${added.join(", ")} (its subnets become public)`,
            });
        } else if (r.type === "aws:ec2/routeTableAssociation:RouteTableAssociation" && i.subnetId) {
            const subnet = review.canon(i.subnetId, "head");
            const table = review.canon(i.routeTableId, "head");
            const oldTable = was.association.get(subnet);
            if (oldTable === undefined || oldTable === table) continue;
            if ((was.internet.get(oldTable) ?? []).length > 0 || (now.internet.get(table) ?? []).length === 0) continue;
            findings.push({
                resource: r.name,
                type: r.type,
                change: `private subnet ${review.name(i.subnetId)} made public: moved to route table ${review.name(i.routeTableId)} (${(now.internet.get(table) ?? []).join(", ")})`,
            });
        }
    }
    return findings;
}
