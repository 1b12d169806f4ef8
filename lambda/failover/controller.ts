/**
 * Decision core of the active-passive failover controller: a small, pure state machine.
 *
 * No AWS SDK here, no clock, no I/O: the poller observes the target groups and the listener,
 * hands each observation to `decide()`, and carries out the move it returns. Keeping the rules
 * pure lets the tests walk through long health histories in microseconds, and a reader see every
 * rule in one place. The vocabulary and the state are state.ts's, operators' requests manual.ts's.
 *
 * The rules (the README's "Automatic failover" section says the same):
 * - Fail over (weights 0/100) on the first poll that finds the active group with no healthy
 *   target (`confirmations` polls, default 1: the ALB has already required 2 failed checks), and
 *   only if the failover group has a healthy target. Unknown health (an API error,
 *   `Elb.InternalError`) is never "unhealthy". If both groups are dead nothing moves, and that is
 *   reported once.
 * - Fail back (100/0) under `automatic` once the active group has been healthy without a break for
 *   the failback delay and for `confirmations` polls. The delay grows when the active group keeps
 *   failing (300 → 600 → 1,200 s: a failover within an hour of the last failback doubles it) and
 *   returns to its base after a stable hour. Under `manual`, never by timer.
 * - Traffic never stays on a dead failover group while the active group is healthy: whatever the
 *   failback policy, it goes back at once, unless an operator holds it there, and then the alert
 *   says so.
 * - An operator's move is respected, whether made through the function's payloads or by hand
 *   (`aws elbv2 modify-listener`): traffic moved to the failover group is held there (no automatic
 *   failback until an operator moves it back); traffic moved to the active group while it has no
 *   healthy target is left there until that group has been healthy once (no failover straight
 *   back); split or 0/0 weights are left alone.
 * - Saved state that could not be read is unknown, not empty: the controller keeps failing over to
 *   protect traffic, makes no failback (there may be a hold), and writes nothing over it.
 * - A position the listener shows that matches the move the lease holder recorded before its
 *   ModifyListener (`pending`, until the first listener read made once it can no longer land) is that move, not a hand edit: its reply was
 *   lost, or its maker died or lost the lease before it saved the state that follows.
 */

import { afterMove, FAILBACK_MOVE, FAILOVER_MOVE, type Move } from "./moves";
import {
    formatWeights,
    holdDownSeconds,
    PENDING_SETTLE_MS,
    positionOf,
    type ControllerSettings,
    type ControllerState,
    type NoticeKind,
    type PendingMove,
    type Position,
    type Weights,
} from "./state";

export * from "./manual";
export * from "./moves";
export * from "./state";

export interface Observation {
    /** ms since epoch */
    readonly time: number;
    readonly activeHealthy: number | null;
    readonly failoverHealthy?: number | null;
    /** The listener's weights (as last read); `null` when its default action is not our forward. */
    readonly weights: Weights | null;
    /** The listener was read at this poll (hand edits are only seen then). */
    readonly listenerRead: boolean;
}

export interface Notice {
    /** A notice kind, or `hand_edit` (reported every time, not once per episode). */
    readonly kind: NoticeKind | "hand_edit";
    readonly message: string;
}

export interface Decision {
    /** State after this poll, before the move is carried out (see `afterMove`). */
    readonly state: ControllerState;
    readonly move: Move | null;
    /** Why: for logs, notifications and `status`. */
    readonly reason: string;
    readonly notices: readonly Notice[];
    /** A move started earlier (see `pending`) that this poll's listener read shows was carried out. */
    readonly confirmed?: PendingMove;
}

function plural(n: number, word: string): string {
    return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * Folds one sample into a streak. A sample closer than one poll interval to the last counted one
 * does not lengthen the streak it continues (two polls after a slow call are not two
 * confirmations), but one that breaks the streak always counts.
 */
function sample(
    down: boolean,
    wasDown: boolean,
    count: number,
    sampledAt: number | null,
    time: number,
    intervalMs: number,
): { count: number; sampledAt: number } | null {
    if (sampledAt !== null && time - sampledAt < intervalMs && down === wasDown && count > 0) {
        return null;
    }
    return { count: down === wasDown ? count + 1 : 1, sampledAt: time };
}

/** One step of the state machine: fold an observation into the state and say whether traffic must move. Pure. */
export function decide(state: ControllerState, obs: Observation, settings: ControllerSettings): Decision {
    const settled = settlePending(state, obs, settings);
    const decision = decideObserved(settled.state, obs, settings);
    return settled.confirmed ? { ...decision, confirmed: settled.confirmed } : decision;
}

/**
 * The pending move: carried out (the listener shows it, the state does not record it yet: the
 * move is applied to the state as its maker would have), already recorded, or, at the first
 * listener read made once it can no longer land (PENDING_SETTLE_MS), not carried out: forgotten.
 */
function settlePending(
    s: ControllerState,
    obs: Observation,
    settings: ControllerSettings,
): { state: ControllerState; confirmed?: PendingMove } {
    const pending = s.pending;
    if (!pending || obs.weights === null) return { state: s };
    const move = pending.kind === "failover" ? FAILOVER_MOVE : FAILBACK_MOVE;
    const target = positionOf(move.to);
    if (s.lastPosition === target) return { state: { ...s, pending: null } };
    if (!obs.listenerRead) return { state: s };
    if (s.known && positionOf(obs.weights) === target) {
        const options = { byOperator: pending.byOperator, activeHealthy: pending.activeHealthy };
        return { state: afterMove(s, move, pending.at, settings, options), confirmed: pending };
    }
    return obs.time - pending.at > PENDING_SETTLE_MS ? { state: { ...s, pending: null } } : { state: s };
}

function decideObserved(state: ControllerState, obs: Observation, settings: ControllerSettings): Decision {
    const notices: Notice[] = [];
    if (obs.weights === null) {
        return withNotice(
            { ...state },
            notices,
            "listener_misconfigured",
            "the listener's default action is not a forward to the active and the failover target groups: " +
                "the controller cannot move traffic until it is (pulumi up restores it)",
        );
    }
    const weights = obs.weights;
    const position = positionOf(weights);
    let s: ControllerState = { ...state };
    if (s.reported === "listener_misconfigured") s = { ...s, reported: null };

    // ---- hand edits: a position the controller did not set, seen on a fresh read ----
    if (obs.listenerRead && s.known) {
        if (s.lastPosition === null) {
            s = { ...s, lastPosition: position };
        } else if (position !== s.lastPosition) {
            const edit = handEdit(s, position, obs.activeHealthy);
            s = edit.state;
            notices.push({ kind: "hand_edit", message: edit.message });
        }
    }

    // ---- samples ----
    const intervalMs = settings.pollIntervalSeconds * 1000;
    if (obs.activeHealthy !== null) {
        const down = obs.activeHealthy < 1;
        const wasDown = s.activeUnhealthyPolls > 0;
        const counted = sample(
            down,
            wasDown,
            down ? s.activeUnhealthyPolls : s.activeHealthyPolls,
            s.activeSampledAt,
            obs.time,
            intervalMs,
        );
        if (counted) {
            s = {
                ...s,
                activeUnhealthyPolls: down ? counted.count : 0,
                activeHealthyPolls: down ? 0 : counted.count,
                activeSampledAt: counted.sampledAt,
            };
        }
        if (!down) s = { ...s, armed: true };
    }
    if (obs.failoverHealthy !== undefined && obs.failoverHealthy !== null) {
        const down = obs.failoverHealthy < 1;
        const counted = sample(
            down,
            s.failoverUnhealthyPolls > 0,
            s.failoverUnhealthyPolls,
            s.failoverSampledAt,
            obs.time,
            intervalMs,
        );
        if (counted) {
            s = { ...s, failoverUnhealthyPolls: down ? counted.count : 0, failoverSampledAt: counted.sampledAt };
        }
    }
    const activeUp = obs.activeHealthy !== null && obs.activeHealthy >= 1;
    const activeDown = obs.activeHealthy !== null && obs.activeHealthy < 1;
    const failoverUp = obs.failoverHealthy != null && obs.failoverHealthy >= 1;
    const failoverDown = obs.failoverHealthy != null && obs.failoverHealthy < 1;
    const health =
        `active group ${obs.activeHealthy ?? "unknown"} healthy, ` +
        `failover group ${obs.failoverHealthy === undefined ? "not read" : (obs.failoverHealthy ?? "unknown")} healthy`;

    // The failback clock runs only while traffic is on the failover group; a bad sample restarts it.
    s = {
        ...s,
        activeHealthySince:
            position !== "failover" || activeDown
                ? null
                : activeUp
                  ? (s.activeHealthySince ?? obs.time)
                  : s.activeHealthySince,
    };
    // An episode stays reported until the health shows it is over.
    const stillReported =
        (s.reported === "both_unhealthy" && !activeUp && !failoverUp) ||
        (s.reported === "failover_group_unhealthy" && position === "failover" && !failoverUp) ||
        (s.reported === "manual_weights" && (position === "split" || position === "none"));
    if (!stillReported && s.reported !== null) s = { ...s, reported: null };

    switch (position) {
        case "active": {
            if (!activeDown || s.activeUnhealthyPolls < settings.confirmations) {
                return stay(s, notices, `on active group; ${health}`);
            }
            if (s.known && !s.armed) {
                return stay(
                    s,
                    notices,
                    "active group not healthy once since the controller started watching (a new stack still booting, " +
                        `or traffic put back on it by an operator): no failover until it has been; ${health}`,
                );
            }
            if (failoverUp) {
                return move(
                    s,
                    notices,
                    FAILOVER_MOVE,
                    `active group has had no healthy target for ${plural(s.activeUnhealthyPolls, "poll")}; ${health}`,
                );
            }
            if (failoverDown) {
                return withNotice(
                    s,
                    notices,
                    "both_unhealthy",
                    `both groups unhealthy: no healthy target in the active or the failover group (weights ${formatWeights(weights)} left as they are)`,
                );
            }
            return stay(s, notices, `active group down, failover group's health unknown: not moving; ${health}`);
        }
        case "failover": {
            if (failoverDown && s.failoverUnhealthyPolls >= settings.confirmations) {
                if (activeUp) {
                    const reason = `failover group has had no healthy target for ${plural(s.failoverUnhealthyPolls, "poll")}; ${health}`;
                    if (s.hold || !s.known) {
                        return withNotice(
                            s,
                            notices,
                            "failover_group_unhealthy",
                            `${reason}; traffic stays because ${s.known ? "an operator holds it on the failover group" : "the saved state (a possible hold) is unreadable"}: ` +
                                `invoke {"action":"failback"} to move it back`,
                        );
                    }
                    // Leaving a dead group needs no failback delay: the delay guards against
                    // returning too early to a flapping group, not against leaving a dead one.
                    return move(s, notices, FAILBACK_MOVE, reason);
                }
                if (activeDown) {
                    return withNotice(
                        s,
                        notices,
                        "both_unhealthy",
                        `both groups unhealthy: no healthy target in the active or the failover group (weights ${formatWeights(weights)} left as they are)`,
                    );
                }
            }
            return failbackByTimer(s, notices, obs, settings, health);
        }
        case "split":
        case "none":
            return withNotice(
                s,
                notices,
                "manual_weights",
                `weights ${formatWeights(weights)} were set by hand: the controller moves nothing until the listener sends ` +
                    `everything to one group (aws elbv2 modify-listener, or invoke {"action":"failover"} / {"action":"failback"}); ${health}`,
            );
    }
}

function failbackByTimer(
    s: ControllerState,
    notices: Notice[],
    obs: Observation,
    settings: ControllerSettings,
    health: string,
): Decision {
    if (settings.failback === "manual") {
        return stay(s, notices, `on failover group; failback policy is manual; ${health}`);
    }
    if (!s.known) {
        return stay(
            s,
            notices,
            `on failover group; the saved state is unreadable (a hold may exist): no failback; ${health}`,
        );
    }
    if (s.hold) {
        return stay(s, notices, `on failover group, held by an operator: automatic failback suspended; ${health}`);
    }
    if (s.activeHealthySince === null || obs.activeHealthy === null || obs.activeHealthy < 1) {
        // Never back to a group whose health this poll could not read.
        return stay(s, notices, `on failover group; active group not (known to be) healthy now; ${health}`);
    }
    const delay = holdDownSeconds(settings, s.holdDownLevel);
    const healthyFor = Math.floor((obs.time - s.activeHealthySince) / 1000);
    if (healthyFor < delay) {
        return stay(
            s,
            notices,
            `on failover group; active group healthy for ${healthyFor} of ${delay} s needed for failback`,
        );
    }
    if (s.activeHealthyPolls < settings.confirmations) {
        return stay(
            s,
            notices,
            `on failover group; active group healthy for ${s.activeHealthyPolls}/${settings.confirmations} polls before failback`,
        );
    }
    return move(
        s,
        notices,
        FAILBACK_MOVE,
        `active group healthy for ${healthyFor} s (failback after ${delay} s); ${health}`,
    );
}

/** What an operator's hand edit means (see the module's rules). */
function handEdit(
    s: ControllerState,
    position: Position,
    activeHealthy: number | null,
): { state: ControllerState; message: string } {
    const from = s.lastPosition;
    const base = { ...s, lastPosition: position, activeHealthySince: null };
    switch (position) {
        case "failover":
            return {
                state: { ...base, hold: true },
                message: `traffic was moved to the failover group by hand (it was on ${from}): held there, no automatic failback until an operator moves it back`,
            };
        case "active": {
            const unhealthy = activeHealthy === null || activeHealthy < 1;
            return {
                state: { ...base, hold: false, armed: unhealthy ? false : s.armed },
                message:
                    `traffic was moved to the active group by hand (it was on ${from})` +
                    (unhealthy
                        ? ": it has no healthy target, so no failover until it has been healthy again"
                        : ": automatic failover stays armed"),
            };
        }
        default:
            return {
                state: { ...base, hold: false },
                message: `the listener's weights were set by hand to a ${position} position (it was on ${from}): the controller moves nothing until they send everything to one group`,
            };
    }
}

function move(state: ControllerState, notices: Notice[], m: Move, reason: string): Decision {
    return { state: { ...state, reported: null }, move: m, reason, notices };
}

function stay(state: ControllerState, notices: Notice[], reason: string): Decision {
    return { state, move: null, reason, notices };
}

function withNotice(state: ControllerState, notices: Notice[], kind: NoticeKind, message: string): Decision {
    const first = state.reported !== kind;
    return {
        state: { ...state, reported: kind },
        move: null,
        reason: message,
        notices: first ? [...notices, { kind, message }] : notices,
    };
}
