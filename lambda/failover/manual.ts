/** Operators' requests: `failover`, `failback` and `status`, guarded like the automatic moves. */
import { afterMove, FAILBACK_MOVE, FAILOVER_MOVE, type Move } from "./moves";
import {
    formatWeights,
    holdDownSeconds,
    positionOf,
    samePosition,
    type ControllerSettings,
    type ControllerState,
    type Weights,
} from "./state";

export type ManualActionName = "failover" | "failback" | "status";

export interface ManualRequest {
    readonly action: ManualActionName;
    /** Move even if the destination group has no healthy target (or its health is unknown). */
    readonly force: boolean;
}

/** Health may be unknown (null) when DescribeTargetHealth failed. */
export interface ManualObservation {
    readonly time: number;
    readonly activeHealthy: number | null;
    readonly failoverHealthy: number | null;
    readonly weights: Weights;
}

export interface ManualDecision {
    readonly move: Move | null;
    /** The request was refused (guard) or invalid: nothing changes. */
    readonly refused: boolean;
    readonly message: string;
    /** State to keep if the move succeeds (or at once when there is no move). */
    readonly state: ControllerState;
}

/**
 * An operator's `failover` / `failback` / `status`. Moving to a group without a healthy target
 * is refused unless `force` is set: the same guard the automatic path applies.
 */
export function decideManual(
    state: ControllerState,
    request: ManualRequest,
    obs: ManualObservation,
    settings: ControllerSettings,
): ManualDecision {
    if (request.action === "status") {
        return { move: null, refused: false, message: describeStatus(state, obs, settings), state };
    }
    const m = request.action === "failover" ? FAILOVER_MOVE : FAILBACK_MOVE;
    const groupName = request.action === "failover" ? "failover" : "active";
    const destinationHealthy = request.action === "failover" ? obs.failoverHealthy : obs.activeHealthy;

    if (samePosition(obs.weights, m.to)) {
        // Nothing to change on the listener; the operator's intent is still recorded: a failover
        // holds traffic there, a failback releases a hold.
        const next =
            request.action === "failover"
                ? { ...state, hold: true, lastPosition: "failover" as const }
                : { ...state, hold: false, lastPosition: "active" as const };
        return {
            move: null,
            refused: false,
            message: `already on the ${groupName} group (weights ${formatWeights(obs.weights)}); nothing changed on the listener`,
            state: next,
        };
    }
    if (!request.force && (destinationHealthy === null || destinationHealthy < 1)) {
        const what =
            destinationHealthy === null
                ? `the health of the ${groupName} group is unknown (DescribeTargetHealth failed)`
                : `the ${groupName} group has no healthy target`;
        return {
            move: null,
            refused: true,
            message:
                `refused: ${what}; traffic stays at weights ${formatWeights(obs.weights)}. ` +
                `Invoke {"action":"${request.action}","force":true} to move anyway.`,
            state,
        };
    }
    const forced = request.force && (destinationHealthy === null || destinationHealthy < 1) ? " (forced)" : "";
    return {
        move: m,
        refused: false,
        message: `manual ${request.action}${forced}: weights ${formatWeights(obs.weights)} -> ${formatWeights(m.to)}`,
        state: afterMove(state, m, obs.time, settings, { byOperator: true, activeHealthy: obs.activeHealthy }),
    };
}

function describeStatus(state: ControllerState, obs: ManualObservation, settings: ControllerSettings): string {
    const count = (n: number | null) => (n === null ? "unknown" : String(n));
    return (
        `position ${positionOf(obs.weights)} (weights ${formatWeights(obs.weights)}); ` +
        `active group ${count(obs.activeHealthy)} healthy, failover group ${count(obs.failoverHealthy)} healthy; ` +
        (state.known
            ? `${state.hold ? "held by an operator; " : ""}${state.armed ? "armed" : "not armed"}; ` +
              `failback delay ${holdDownSeconds(settings, state.holdDownLevel)} s`
            : "saved state unreadable")
    );
}
