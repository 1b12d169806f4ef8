/**
 * Jest's test order, longest first also on a first run. Jest orders by the durations it recorded
 * in its cache (failed first, then slowest), and without them by file size: on a fresh clone (CI)
 * that started the slowest suites, which are not the biggest files, last, and one worker ran them
 * alone at the end. Without a recorded duration for every suite, these go first, in this order
 * (the slowest on 2 cores, measured); the rest follow in Jest's order.
 */
const path = require("path");
const Sequencer = require("@jest/test-sequencer").default;

const SLOWEST = [
    "server.test.ts",
    "stack.test.ts",
    "package.test.ts",
    "multiLanguage.test.ts",
    "plan.test.ts",
    "plan-compare.test.ts",
    "plan-diagram.test.ts",
    "monitoring.test.ts",
    "serverPool.test.ts",
];

class LongestFirst extends Sequencer {
    sort(tests) {
        const sorted = super.sort(tests);
        if (sorted.every((test) => test.duration != null)) return sorted;
        const rank = (test) => {
            const i = SLOWEST.indexOf(path.basename(test.path));
            return i === -1 ? SLOWEST.length : i;
        };
        // Array.prototype.sort is stable: the others keep Jest's order.
        return [...sorted].sort((a, b) => rank(a) - rank(b));
    }
}

module.exports = LongestFirst;
