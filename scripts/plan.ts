/**
 * The plan, offline: evaluates the real program for a shipped stack under mocks (nothing is
 * created, no cloud account) and shows what it registers, for people (text, markdown for a pull
 * request) or as data (json, which `--compare` reads back):
 *
 *     npm run plan -- [stack] [--format text|markdown|json] [--compare base.json] [--out file]
 *
 * - the architecture diagram (Mermaid), drawn from the resources and security group rules;
 * - the monthly cost, itemised, from the price table in scripts/plan/prices.ts;
 * - the policy pack's results: a mandatory violation makes the plan exit 2 (the plan is still written);
 * - with `--compare`: resources added, removed and changed, the security-relevant changes, and the cost delta.
 *
 * Exit codes: 0 fine, 1 the plan could not be made (bad arguments, bad config, bad base file),
 * 2 mandatory policy violations.
 */
import * as fs from "fs";
import { parseOptions, plan } from "./plan/make";

async function main(): Promise<void> {
    const options = parseOptions(process.argv.slice(2));
    const { output, exitCode } = await plan(options);
    if (options.out) {
        fs.writeFileSync(options.out, output);
    } else {
        process.stdout.write(output);
    }
    if (exitCode !== 0) {
        console.error("plan: the policy pack reports mandatory violations (listed in the plan)");
    }
    process.exitCode = exitCode;
}

main().catch((e: unknown) => {
    console.error(`plan failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
});
