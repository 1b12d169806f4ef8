/**
 * The plan for people: text for a terminal, markdown for a pull request (GitHub renders its
 * Mermaid block as a picture). Both show the same sections: the change review (with --compare),
 * the architecture diagram, the monthly cost, the policy results and the resources.
 */
import type { Comparison } from "./compare";
import type { CostReport } from "./cost";
import type { PlanDocument } from "./document";
import type { PolicyReport } from "./policyReport";

export const usd = (n: number) => `$${n.toFixed(2)}`;
const signed = (n: number) => `${n < 0 ? "−" : "+"}$${Math.abs(n).toFixed(2)}`;
const quantity = (n: number) => (Number.isInteger(n) ? String(n) : n < 0.01 ? n.toPrecision(2) : n.toFixed(2));
/** A markdown table cell: pipes escaped, one line. */
const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");
/** Inline code that survives backticks in the value. */
const code = (text: string) => (text.includes("`") ? `\`\` ${text} \`\`` : `\`${text}\``);
const value = (v: unknown) => (v === undefined ? "(unset)" : JSON.stringify(v));
/** Values longer than this are cut in the change list (the JSON plan has them whole). */
const VALUE_WIDTH = 120;
const clip = (text: string) => (text.length > VALUE_WIDTH ? `${text.slice(0, VALUE_WIDTH - 1)}…` : text);

/** The note on a cost delta that leaves items out. */
const incomplete = (c: Comparison) =>
    c.cost.notPriced.length === 0 ? "" : `; incomplete: ${c.cost.notPriced.length} item(s) not priced`;

export function summary(doc: PlanDocument): string {
    const resources = doc.resources.filter((r) => r.custom).length;
    const components = doc.resources.length - resources;
    const notPriced = doc.cost.lines.filter((l) => l.notPriced).length;
    return (
        `${resources} resources in ${components} components; about ${usd(doc.cost.totalUsd)}/month` +
        `${notPriced > 0 ? ` (+${notPriced} not priced)` : ""}; policy pack: ` +
        `${doc.policy.mandatory.length} mandatory violation${doc.policy.mandatory.length === 1 ? "" : "s"}, ${doc.policy.advisory.length} advisory`
    );
}

// ---- markdown ----

function costMarkdown(cost: CostReport): string[] {
    const priced = cost.lines.filter((l) => l.notPriced === undefined);
    const missing = cost.lines.filter((l) => l.notPriced !== undefined);
    return [
        "| item | quantity | unit price | per month |",
        "| --- | ---: | ---: | ---: |",
        ...priced.map(
            (l) =>
                `| ${cell(l.item)} | ${quantity(l.quantity ?? 0)} | [$${l.unitUsd}](${l.source}) per ${cell(l.unit ?? "")} | ${usd(l.monthlyUsd ?? 0)} |`,
        ),
        ...missing.map((l) => `| ${cell(l.item)} | | **not priced** | ${cell(l.notPriced ?? "")} |`),
        `| **total** | | | **${usd(cost.totalUsd)}** |`,
        "",
        ...cost.warnings.map((w) => `> [!WARNING]\n> ${w}\n`),
        `Assumptions: ${cost.assumptions.join("; ")}.`,
        "",
        `Left out: ${cost.leftOut.join("; ")}.`,
    ];
}

function policyMarkdown(policy: PolicyReport): string[] {
    const rows = (findings: PolicyReport["mandatory"]) => [
        "| policy | resource | finding |",
        "| --- | --- | --- |",
        ...findings.map(
            (f) => `| ${code(f.policy)} | ${f.resource ? code(f.resource) : "(stack)"} | ${cell(f.message)} |`,
        ),
    ];
    return [
        `${policy.policies} policies of ${code(policy.pack)} ran on the evaluated stack.`,
        "",
        policy.mandatory.length === 0
            ? "**Mandatory: no violations.**"
            : `**Mandatory: ${policy.mandatory.length} violation(s): the plan fails.**\n\n${rows(policy.mandatory).join("\n")}`,
        "",
        policy.advisory.length === 0
            ? "Advisory: none."
            : `Advisory (${policy.advisory.length}):\n\n${rows(policy.advisory).join("\n")}`,
    ];
}

function comparisonMarkdown(c: Comparison): string[] {
    const out = [
        `### Change review against the base (${code(c.base.stack)}, ${c.base.resources} resources)`,
        "",
        `**${c.added.length} added, ${c.removed.length} removed, ${c.changed.length} changed**; monthly cost ${usd(c.cost.beforeUsd)} → ${usd(c.cost.afterUsd)} (**${signed(c.cost.deltaUsd)}**${incomplete(c)}).`,
        "",
        "#### Security-relevant changes",
        "",
        ...(c.security.length === 0
            ? [
                  "None found (firewall, IAM, encryption, deletion protection, backups, public access, TLS, WAF, flow logs).",
              ]
            : c.security.map((f) => `- :warning: ${code(f.resource)}: ${f.change}`)),
        "",
        "#### Monthly cost delta",
        "",
    ];
    if (c.cost.lines.length === 0 && c.cost.notPriced.length === 0) {
        out.push("No change.");
    } else {
        out.push(
            "| item | base | head | delta |",
            "| --- | ---: | ---: | ---: |",
            ...c.cost.lines.map(
                (l) =>
                    `| ${cell(l.item)} | ${l.beforeUsd === undefined ? "–" : usd(l.beforeUsd)} | ${l.afterUsd === undefined ? "–" : usd(l.afterUsd)} | ${signed(l.deltaUsd)} |`,
            ),
            ...c.cost.notPriced.map((item) => `| ${cell(item)} | | | not priced |`),
            `| **total** | ${usd(c.cost.beforeUsd)} | ${usd(c.cost.afterUsd)} | **${signed(c.cost.deltaUsd)}** |`,
        );
    }
    out.push("", "#### Resources", "");
    const names = (rs: Comparison["added"]) => rs.map((r) => `- ${code(r.name)} (${r.type})`);
    if (c.added.length > 0)
        out.push(`<details><summary>Added (${c.added.length})</summary>`, "", ...names(c.added), "", "</details>", "");
    if (c.removed.length > 0)
        out.push(
            `<details><summary>Removed (${c.removed.length})</summary>`,
            "",
            ...names(c.removed),
            "",
            "</details>",
            "",
        );
    if (c.changed.length > 0) {
        out.push(`<details><summary>Changed (${c.changed.length})</summary>`, "");
        for (const r of c.changed) {
            out.push(`- ${code(r.name)} (${r.type})`);
            for (const i of r.inputs)
                out.push(`  - ${code(i.path)}: ${code(clip(value(i.before)))} → ${code(clip(value(i.after)))}`);
        }
        out.push("", "</details>", "");
    }
    if (c.added.length + c.removed.length + c.changed.length === 0) out.push("No resource changes.", "");
    return out;
}

export function renderMarkdown(doc: PlanDocument, comparison?: Comparison): string {
    const counts = new Map<string, number>();
    doc.resources.filter((r) => r.custom).forEach((r) => counts.set(r.type, (counts.get(r.type) ?? 0) + 1));
    return [
        `## ha-webstack plan: stack ${code(doc.stack)} (${doc.region})`,
        "",
        `Evaluated offline under mocks: what the program registers; nothing is created. ${summary(doc)}.`,
        "",
        ...(comparison ? comparisonMarkdown(comparison) : []),
        "### Architecture",
        "",
        "```mermaid",
        doc.diagram.trimEnd(),
        "```",
        "",
        "### Monthly cost (estimate)",
        "",
        ...costMarkdown(doc.cost),
        "",
        "### Policy pack",
        "",
        ...policyMarkdown(doc.policy),
        "",
        `<details><summary>Resources by type (${[...counts.values()].reduce((a, b) => a + b, 0)})</summary>`,
        "",
        "| type | count |",
        "| --- | ---: |",
        ...[...counts.entries()].sort().map(([type, n]) => `| ${code(type)} | ${n} |`),
        "",
        "</details>",
        "",
    ].join("\n");
}

/** docs/architecture.md: the diagram of a stack, with how to read it. */
export function renderArchitecture(doc: PlanDocument): string {
    return [
        `# Architecture of the ${code(doc.stack)} stack`,
        "",
        "<!-- Generated by npm run docs from what the program registers (scripts/plan/diagram.ts); do not edit. -->",
        "",
        `Drawn by ${code("npm run plan")} from the resources the program registers for ${code(`Pulumi.${doc.stack}.yaml`)}, ` +
            "evaluated offline; a test fails when this file no longer matches it. " +
            `${`${doc.resources.filter((r) => r.custom).length} resources`}; ${code(`npm run plan -- ${doc.stack}`)} shows the cost and the policy results in full.`,
        "",
        "```mermaid",
        doc.diagram.trimEnd(),
        "```",
        "",
        "How to read it:",
        "",
        "- Boxes sit in their tier (public, app, data subnets) and, where they live in one, their AZ.",
        "- Thick arrows: the HTTPS listener forwards to a target group, with its weight; dotted when the weight is 0 (the standby of active-passive).",
        "- Plain arrows: traffic that the destination's ingress and the source's egress rules both allow, with their ports: the internet to the load balancer, the load balancer to the servers, the servers to MySQL.",
        "- Dotted arrows: outbound traffic (through the NAT gateway), asynchronous replication, and the failover controller that moves the weights.",
        "",
    ].join("\n");
}

// ---- text ----

function costText(cost: CostReport): string[] {
    const width = Math.max(...cost.lines.map((l) => l.item.length), 10);
    return [
        ...cost.lines.map((l) =>
            l.notPriced !== undefined
                ? `  ${l.item.padEnd(width)}  not priced: ${l.notPriced}`
                : `  ${l.item.padEnd(width)}  ${usd(l.monthlyUsd ?? 0).padStart(9)}  (${quantity(l.quantity ?? 0)} ${l.unit} × $${l.unitUsd})`,
        ),
        `  ${"total".padEnd(width)}  ${usd(cost.totalUsd).padStart(9)}`,
        ...cost.warnings.map((w) => `  warning: ${w}`),
        `  assumptions: ${cost.assumptions.join("; ")}`,
        `  left out: ${cost.leftOut.join("; ")}`,
    ];
}

function policyText(policy: PolicyReport): string[] {
    const line = (f: PolicyReport["mandatory"][number]) => `    ${f.policy} ${f.resource || "(stack)"}: ${f.message}`;
    return [
        `  ${policy.policies} policies of ${policy.pack}`,
        `  mandatory: ${policy.mandatory.length === 0 ? "no violations" : `${policy.mandatory.length} violation(s), the plan fails`}`,
        ...policy.mandatory.map(line),
        `  advisory: ${policy.advisory.length === 0 ? "none" : policy.advisory.length}`,
        ...policy.advisory.map(line),
    ];
}

function comparisonText(c: Comparison): string[] {
    return [
        `change review against the base (${c.base.stack}, ${c.base.resources} resources): ${c.added.length} added, ${c.removed.length} removed, ${c.changed.length} changed`,
        "  security-relevant changes:",
        ...(c.security.length === 0 ? ["    none found"] : c.security.map((f) => `    ! ${f.resource}: ${f.change}`)),
        `  monthly cost: ${usd(c.cost.beforeUsd)} → ${usd(c.cost.afterUsd)} (${signed(c.cost.deltaUsd)}${incomplete(c)})`,
        ...c.cost.lines.map((l) => `    ${signed(l.deltaUsd).padStart(9)}  ${l.item}`),
        ...c.cost.notPriced.map((item) => `    not priced  ${item}`),
        ...c.added.map((r) => `  + ${r.name} (${r.type})`),
        ...c.removed.map((r) => `  - ${r.name} (${r.type})`),
        ...c.changed.flatMap((r) => [
            `  ~ ${r.name} (${r.type})`,
            ...r.inputs.map((i) => `      ${i.path}: ${clip(value(i.before))} → ${clip(value(i.after))}`),
        ]),
    ];
}

export function renderText(doc: PlanDocument, tree: string, comparison?: Comparison): string {
    return [
        ...(comparison ? [...comparisonText(comparison), ""] : []),
        tree,
        "",
        `monthly cost, estimated (${doc.region}):`,
        ...costText(doc.cost),
        "",
        "policy pack:",
        ...policyText(doc.policy),
        "",
        "architecture (Mermaid; --format markdown embeds it):",
        doc.diagram.trimEnd(),
        "",
        summary(doc),
    ].join("\n");
}
