/** Listeners: TLS removed, plain HTTP served, the TLS policy weakened (ranked from AWS's tables). */
import { TLS_POLICIES } from "../../../components/shared/tlsPolicies";
import { list, Review, show, type Inputs, type SecurityFinding } from "./review";

/**
 * What an ELB security policy admits: its lowest TLS version, and the weaker kinds of TLS 1.2
 * cipher it offers ("cbc": CBC with SHA-2; "sha1": CBC with SHA-1; "no-fs": RSA key exchange,
 * without forward secrecy). TLS 1.3 only policies offer AEAD ciphers with forward secrecy only.
 * FIPS and post-quantum (PQ) variants are named so; the PQ policies offer their counterparts'
 * protocols and ciphers plus hybrid ML-KEM key exchange. From AWS's tables "Protocols by policy"
 * and "Ciphers by policy":
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/network/describe-ssl-policies.html
 * A policy not in this table is named "changed, review", never ranked by its name.
 */
const TLS_POLICY_RANKS: Readonly<Record<string, { min: number; weak: readonly string[] }>> = (() => {
    const table: Record<string, { min: number; weak: readonly string[] }> = {};
    const family = (names: string[], min: number, weak: string[]) => names.forEach((n) => (table[n] = { min, weak }));
    const ALL = ["cbc", "sha1", "no-fs"];
    for (const pq of ["", "-PQ"]) {
        const date = pq ? "2025-09" : "2021-06";
        family([`ELBSecurityPolicy-TLS13-1-3${pq}-${date}`], 1.3, []);
        family([`ELBSecurityPolicy-TLS13-1-2-Res${pq}-${date}`], 1.2, []);
        family([`ELBSecurityPolicy-TLS13-1-2${pq}-${date}`], 1.2, ["cbc"]);
        family([`ELBSecurityPolicy-TLS13-1-2-Ext1${pq}-${date}`], 1.2, ["cbc", "no-fs"]);
        family([`ELBSecurityPolicy-TLS13-1-2-Ext2${pq}-${date}`], 1.2, ALL);
        family([`ELBSecurityPolicy-TLS13-1-0${pq}-${date}`], 1.0, ALL);
        const fips = pq ? "FIPS-PQ-2025-09" : "FIPS-2023-04";
        family([`ELBSecurityPolicy-TLS13-1-3-${fips}`], 1.3, []);
        family([`ELBSecurityPolicy-TLS13-1-2-Res-${fips}`], 1.2, []);
        family([`ELBSecurityPolicy-TLS13-1-2-${fips}`], 1.2, ["cbc"]);
        family([`ELBSecurityPolicy-TLS13-1-2-Ext0-${fips}`], 1.2, ["cbc", "sha1"]);
        family([`ELBSecurityPolicy-TLS13-1-2-Ext1-${fips}`], 1.2, ["cbc", "no-fs"]);
        family([`ELBSecurityPolicy-TLS13-1-2-Ext2-${fips}`], 1.2, ALL);
        family([`ELBSecurityPolicy-TLS13-1-0-${fips}`], 1.0, ALL);
    }
    family(["ELBSecurityPolicy-TLS13-1-1-2021-06", "ELBSecurityPolicy-TLS13-1-1-FIPS-2023-04"], 1.1, ALL);
    family(["ELBSecurityPolicy-TLS13-1-2-RFC9151-FIPS-2023-07"], 1.2, []);
    family(["ELBSecurityPolicy-TLS13-1-3-RFC9151-FIPS-2023-07"], 1.3, []);
    family(["ELBSecurityPolicy-FS-1-2-Res-2020-10"], 1.2, []);
    family(["ELBSecurityPolicy-FS-1-2-Res-2019-08"], 1.2, ["cbc"]);
    family(["ELBSecurityPolicy-FS-1-2-2019-08"], 1.2, ["cbc", "sha1"]);
    family(["ELBSecurityPolicy-FS-1-1-2019-08"], 1.1, ["cbc", "sha1"]);
    family(["ELBSecurityPolicy-FS-2018-06"], 1.0, ["cbc", "sha1"]);
    family(["ELBSecurityPolicy-TLS-1-2-2017-01"], 1.2, ["cbc", "no-fs"]);
    family(["ELBSecurityPolicy-TLS-1-2-Ext-2018-06"], 1.2, ALL);
    family(["ELBSecurityPolicy-TLS-1-1-2017-01"], 1.1, ALL);
    family(["ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-2015-05", "ELBSecurityPolicy-TLS-1-0-2015-04"], 1.0, ALL);
    return table;
})();

const WEAK_CIPHERS: Record<string, string> = {
    cbc: "no longer the restricted cipher list (CBC ciphers)",
    sha1: "SHA-1 ciphers",
    "no-fs": "ciphers without forward secrecy",
};

/** Why policy `now` is weaker than `was` (empty: as strong or stronger); `undefined` when either is unknown. */
export function tlsWeakening(was: string, now: string): string[] | undefined {
    const [a, b] = [TLS_POLICY_RANKS[was], TLS_POLICY_RANKS[now]];
    if (!a || !b) return undefined;
    const allowed = (p: string) => (TLS_POLICIES as readonly string[]).includes(p);
    const reasons: string[] = [];
    const added = b.weak.filter((w) => !a.weak.includes(w));
    if (allowed(was) && !allowed(now) && (b.min < 1.2 || added.includes("no-fs"))) {
        reasons.push("allows TLS below 1.2 or ciphers without forward secrecy");
    } else {
        if (b.min < a.min) reasons.push(`minimum TLS ${a.min.toFixed(1)} → ${b.min.toFixed(1)}`);
        // From a TLS 1.3-only policy, the TLS 1.2 it now allows brings its ciphers: named with the
        // version unless they lack forward secrecy or use SHA-1.
        const fromTls13 = a.min === 1.3;
        for (const w of added) if (!fromTls13 || w !== "cbc") reasons.push(WEAK_CIPHERS[w]);
    }
    if (/FIPS/.test(was) && !/FIPS/.test(now)) reasons.push("no longer FIPS");
    if (/PQ/.test(was) && !/PQ/.test(now)) reasons.push("no longer post-quantum key exchange");
    return reasons;
}

export function tlsFindings(review: Review): SecurityFinding[] {
    const findings: SecurityFinding[] = [];
    for (const r of review.head.filter(
        (x) => x.type === "aws:lb/listener:Listener" || x.type === "aws:alb/listener:Listener",
    )) {
        const before = review.before(r);
        const i = r.inputs as Inputs;
        const add = (change: string) =>
            findings.push({ resource: r.name, type: r.type, change: `${change}${review.replacing(r)}` });
        const wasTls = before && ["HTTPS", "TLS"].includes(String(before.inputs.protocol));
        const isTls = ["HTTPS", "TLS"].includes(String(i.protocol));
        const forwardsPlain = !isTls && (list(i.defaultActions) as Inputs[]).some((a) => a.type !== "redirect");
        if (wasTls && !isTls) {
            add(`TLS removed: the listener on :${i.port} now speaks ${i.protocol} (was ${before.inputs.protocol})`);
            continue;
        }
        if (forwardsPlain) {
            const wasPlain =
                before &&
                !wasTls &&
                (list(before.inputs.defaultActions) as Inputs[]).some((a) => a.type !== "redirect");
            if (!wasPlain)
                add(`plain HTTP served: the ${i.protocol} listener on :${i.port} no longer only redirects to HTTPS`);
            continue;
        }
        if (!isTls) continue;
        if (!before || !wasTls) {
            if (!(TLS_POLICIES as readonly string[]).includes(String(i.sslPolicy)))
                add(`new TLS listener with a weak policy ${show(i.sslPolicy)} (TLS below 1.2 or weak ciphers)`);
            continue;
        }
        const [was, now] = [String(before.inputs.sslPolicy ?? "unset"), String(i.sslPolicy ?? "unset")];
        if (was === now) continue;
        const reasons = tlsWeakening(was, now);
        if (reasons === undefined) {
            add(`TLS policy changed to one this review does not know, review: ${was} → ${now}`);
        } else if (reasons.length > 0) {
            add(`TLS policy weakened: ${was} → ${now} (${reasons.join("; ")})`);
        }
    }
    return findings;
}
