import { SCENARIOS, sweep, trial, SWEEP_GRID } from "./failover-trials";
async function main() {
    const scenario = SCENARIOS.find((s) => s.name.startsWith("refuse: next run takes over"))!;
    const out: Array<[number, unknown]> = [];
    for (const lost of [false, true]) {
        for (const a of sweep(scenario, "near", lost, { ...SWEEP_GRID, successor: 500 })) {
            const t = await trial(scenario, a);
            if (t > 11.8) out.push([t, { death: a.death, successorAt: a.successorAt, lost, check: a.phases[0][0] }]);
        }
    }
    out.sort((x, y) => y[0] - x[0]);
    console.log(out.length, JSON.stringify(out.slice(0, 15)));
}
void main();
